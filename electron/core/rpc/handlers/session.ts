import type { RpcHandlers } from '../types';

export const sessionHandlers: RpcHandlers<'session.get' | 'session.signIn' | 'session.unlock' | 'session.signOut'> = {
  'session.get': (core) => core.sessionState(),
  'session.signIn': (core, params) => core.signIn(params),
  'session.unlock': (core, params) => core.unlock(params),
  'session.signOut': (core, params) => core.signOut(params),
};
