import { passwordChangeRequestSchema, sessionsEndedSchema, userSchema, userSessionListSchema } from '../auth';
import { okSchema, pageSchema } from '../common';
import { defineRoute } from '../routing';
import {
  emailChangeRequestSchema,
  emailChangeStateSchema,
  idParamsSchema,
  userAdminPatchSchema,
  userListQuerySchema,
  userSelfPatchSchema,
} from '../users';

const admin = { permission: 'users.manage' } as const;

/** The caller's own profile, and the admin's user management. */
export const usersRoutes = {
  'users.me': defineRoute({
    method: 'GET',
    path: '/users/me',
    tags: ['users'],
    description: "The signed-in caller's own profile.",
    access: 'signedIn',
    responses: { 200: userSchema },
  }),
  'users.updateMe': defineRoute({
    method: 'PATCH',
    path: '/users/me',
    tags: ['users'],
    description: "Renames the caller; their devices learn of the new profile through the user's sync bucket.",
    access: 'signedIn',
    body: userSelfPatchSchema,
    responses: { 200: userSchema },
  }),
  'users.myEmailChange': defineRoute({
    method: 'GET',
    path: '/users/me/email-change',
    tags: ['users'],
    description:
      "The caller's email change waiting for its code (`pending: null` when there is none, or it expired or " +
      'was confirmed).',
    access: 'signedIn',
    responses: { 200: emailChangeStateSchema },
  }),
  'users.requestEmailChange': defineRoute({
    method: 'POST',
    path: '/users/me/email-change',
    tags: ['users'],
    description:
      'Asks to move the caller to `newEmail`: a single-use code, good for 24 hours, is mailed to the new ' +
      'address and confirmed by `POST /auth/email-change/confirm`. The email stays as it is until then. ' +
      'Asking again replaces the pending change (the earlier code stops working). The current password is ' +
      'the proof (INVALID_CREDENTIALS, counted towards the sign-in lockout); an address that already has an ' +
      'account is EMAIL_TAKEN, the same address as now VALIDATION_FAILED.',
    access: 'signedIn',
    body: emailChangeRequestSchema,
    responses: { 200: emailChangeStateSchema },
  }),
  'users.mySessions': defineRoute({
    method: 'GET',
    path: '/users/me/sessions',
    tags: ['users'],
    description:
      "The caller's sessions that are still signed in (one per sign-in on a device or script), most recently " +
      'active first; `current` marks the one asking.',
    access: 'signedIn',
    responses: { 200: userSessionListSchema },
  }),
  'users.endMySession': defineRoute({
    method: 'DELETE',
    path: '/users/me/sessions/:id',
    tags: ['users'],
    description:
      "Signs out one of the caller's sessions: its refresh token stops at once and its access tokens within the " +
      "server's session-check bound (2 s by default). Another user's session, or one already over, is NOT_FOUND.",
    access: 'signedIn',
    params: idParamsSchema,
    responses: { 200: okSchema },
  }),
  'users.endMyOtherSessions': defineRoute({
    method: 'DELETE',
    path: '/users/me/sessions',
    tags: ['users'],
    description: 'Signs out every session of the caller but the one asking ("sign out everywhere else").',
    access: 'signedIn',
    responses: { 200: sessionsEndedSchema },
  }),
  'users.changeMyPassword': defineRoute({
    method: 'POST',
    path: '/users/me/password',
    tags: ['users'],
    description:
      "Changes the caller's password; the current one is the proof (INVALID_CREDENTIALS otherwise, counted " +
      'towards the sign-in lockout). Every other session of the caller ends; the one asking stays signed in.',
    access: 'signedIn',
    body: passwordChangeRequestSchema,
    responses: { 200: sessionsEndedSchema },
  }),
  'users.endSessions': defineRoute({
    method: 'DELETE',
    path: '/users/:id/sessions',
    tags: ['users'],
    description:
      "An admin signs a user out everywhere: every session ends (the user's devices keep their data and " +
      'outbox, and ask them to sign in again).',
    access: admin,
    params: idParamsSchema,
    responses: { 200: sessionsEndedSchema },
  }),
  'users.list': defineRoute({
    method: 'GET',
    path: '/users',
    tags: ['users'],
    description:
      'Every user in the order they were created (oldest first), so a walk with `cursor` lists each once ' +
      'whatever is renamed meanwhile; `q` matches part of the email or name, `role` keeps one role.',
    access: admin,
    query: userListQuerySchema,
    responses: { 200: pageSchema(userSchema) },
  }),
  'users.update': defineRoute({
    method: 'PATCH',
    path: '/users/:id',
    tags: ['users'],
    description:
      "Changes a user's role, name or disabled flag; disabling signs them out everywhere. " +
      'Admins cannot demote or disable themselves (CONFLICT).',
    access: admin,
    params: idParamsSchema,
    body: userAdminPatchSchema,
    responses: { 200: userSchema },
  }),
} as const;
