import { Resources } from '../../kube/resources.ts';
import { stateTables, type Seed } from '../../testing/state-table.ts';

/** Starts a table for one test and stops it afterwards. */
const start = stateTables();
const PC = Resources.priorityClasses;
const priorityClass = (name: string, value: number): Seed => [PC, { metadata: { name }, value }];

describe('host-priorityclasses state table', () => {
  it("shows the host's classes; deletes a tenant's own (as vCluster does), but never the virtual API server's system- classes", async () => {
    const table = await start({
      kinds: ['host-priorityclasses'],
      host: [priorityClass('high', 1000), priorityClass('system-node-critical', 2000001000)],
      virtual: [priorityClass('mine', 10), priorityClass('system-node-critical', 2000001000)],
    });
    await table.settle();
    expect(
      table.virtual
        .objects(PC)
        .map((c) => [c.metadata?.name, c.metadata?.labels?.['vsyncer.dev/managed']])
        .sort(),
    ).toEqual([
      ['high', 'true'],
      ['system-node-critical', undefined],
    ]);
    expect(table.writes().sort()).toEqual([
      expect.stringMatching(/^virtual: create events default\/mine\./),
      'virtual: create priorityclasses high',
      'virtual: delete priorityclasses mine',
    ]);
  });
});
