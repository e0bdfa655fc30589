export {
  clusterStatus,
  controlComponent,
  readClusterInfo,
  startClusters,
  stopClusters,
  type ClusterInfo,
  type ComponentAction,
} from './launcher.ts';
