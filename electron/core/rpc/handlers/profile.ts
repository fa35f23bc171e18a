import { routes } from '@gatehouse/protocol';
import type { RpcHandlers } from '../types';

/**
 * The signed-in user's own account — sessions, password, name and email: online only, through the
 * sync server. A rename or a confirmed email change is applied to the session at once (the user's
 * bucket brings the same to their other devices).
 */
export const profileHandlers: RpcHandlers<
  | 'profile.sessions.list'
  | 'profile.sessions.end'
  | 'profile.sessions.endOthers'
  | 'profile.password.change'
  | 'profile.rename'
  | 'profile.emailChange.get'
  | 'profile.emailChange.request'
  | 'profile.emailChange.confirm'
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
  'profile.rename': async ({ session, account }, body) => {
    const user = await account().online().api.call(routes['users.updateMe'], { body });
    session.applyProfile(user);
    return user;
  },
  'profile.emailChange.get': ({ account }) => account().online().api.call(routes['users.myEmailChange'], {}),
  'profile.emailChange.request': ({ account }, body) =>
    account().online().api.call(routes['users.requestEmailChange'], { body }),
  'profile.emailChange.confirm': async ({ session, account }, body) => {
    const current = account();
    const confirmed = await current.online().api.call(routes['auth.confirmEmailChange'], { body });
    // The code may be another account's (typed on a shared desktop): only the signed-in user's own change moves this session.
    const me = await current.online().api.call(routes['users.me'], {});
    session.applyProfile(me);
    return confirmed;
  },
};
