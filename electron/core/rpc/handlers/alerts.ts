import { acknowledgeAlert } from '../../alerts/commands';
import type { RpcHandlers } from '../types';

export const alertHandlers: RpcHandlers<'alerts.acknowledge'> = {
  'alerts.acknowledge': ({ account }, params) => acknowledgeAlert(account(), params),
};
