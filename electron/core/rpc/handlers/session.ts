import type { RpcHandlers } from '../types';

export const sessionHandlers: RpcHandlers<'session.get' | 'session.signIn' | 'session.unlock' | 'session.signOut'> = {
  'session.get': ({ session }) => session.sessionState(),
  'session.signIn': ({ session }, params) => session.signIn(params),
  'session.unlock': ({ session }, params) => session.unlock(params),
  'session.signOut': ({ session }, params) => session.signOut(params),
};
