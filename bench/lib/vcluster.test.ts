import { vclusterMetrics } from './vcluster.ts';

// A page as vCluster's syncer serves it (controller-runtime's registry): client-go's request
// counter by API server address, controller-runtime's reconciles, the Go runtime's memory.
const PAGE = `# HELP rest_client_requests_total Number of HTTP requests, partitioned by status code, method, and host.
# TYPE rest_client_requests_total counter
rest_client_requests_total{code="200",host="127.0.0.1:6443",method="GET"} 12
rest_client_requests_total{code="201",host="127.0.0.1:6443",method="POST"} 207
rest_client_requests_total{code="409",host="127.0.0.1:6443",method="POST"} 3
rest_client_requests_total{code="200",host="127.0.0.1:7443",method="PUT"} 212
rest_client_requests_total{code="201",host="127.0.0.1:7443",method="POST"} 603
rest_client_requests_total{code="200",host="127.0.0.1:7443",method="PATCH"} 4
rest_client_requests_total{code="200",host="127.0.0.1:7443",method="DELETE"} 1
rest_client_requests_total{code="200",host="10.0.0.1:443",method="POST"} 5
controller_runtime_reconcile_total{controller="pod",result="success"} 1000
controller_runtime_reconcile_total{controller="pod",result="error"} 54
controller_runtime_reconcile_total{controller="event",result="success"} 400
go_memstats_heap_alloc_bytes 1.7e+07
go_memstats_heap_sys_bytes 4.0e+07
go_memstats_heap_released_bytes 7e+06
`;

const metrics = vclusterMetrics({ host: 'https://127.0.0.1:6443', virtual: 'https://127.0.0.1:7443' });

describe('vclusterMetrics', () => {
  it('counts writes per cluster by API server address, failed ones included, reads not', () => {
    expect(metrics.writesPerCluster(PAGE)).toEqual({ host: 210, virtual: 820, 'other 10.0.0.1:443': 5 });
  });

  it('names writes by the verbs vsyncer counts them with', () => {
    expect(metrics.writesByVerb(PAGE)).toEqual({
      'host create': 210,
      'virtual update': 212,
      'virtual create': 603,
      'virtual patch': 4,
      'virtual delete': 1,
      'other 10.0.0.1:443 create': 5,
    });
  });

  it('counts reads too in all requests', () => {
    expect(metrics.requestsByVerb(PAGE)['host get']).toBe(12);
  });

  it('sums reconciles per controller over results', () => {
    expect(metrics.reconcilesByKind(PAGE)).toEqual({ pod: 1054, event: 400 });
  });

  it('reads the Go heap: in use, and held from the OS less what it returned', () => {
    expect(metrics.memory(PAGE)).toEqual({ heapUsed: 17e6, heapTotal: 33e6, external: 0 });
  });
});
