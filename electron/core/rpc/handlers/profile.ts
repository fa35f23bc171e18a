import { routes } from '@gatehouse/protocol';
import type { RpcHandlers } from '../types';

/** The signed-in user's own sessions and password: online only, through the sync server. */
export const profileHandlers: RpcHandlers<
  'profile.sessions.list' | 'profile.sessions.end' | 'profile.sessions.endOthers' | 'profile.password.change'
> = {
  'profile.sessions.list': async ({ account }) =>
    (await account().online().api.call(routes['users.mySessions'], {})).items,
  'profile.sessions.end': async ({ account }, { sessionId }) => {
    await account()
      .online()
      .api.call(routes['users.endMySession'], { params: { id: sessionId } });
    return { ok: true as const };
  },
  'profile.sessions.endOthers': ({ account }) => account().online().api.call(routes['users.endMyOtherSessions'], {}),
  'profile.password.change': ({ session }, params) => session.changePassword(params),
};
