import {
  loginRequestSchema,
  logoutRequestSchema,
  refreshRequestSchema,
  registerRequestSchema,
  sessionSchema,
} from '../auth';
import { okSchema } from '../common';
import { emailChangeConfirmedSchema, emailChangeConfirmSchema } from '../users';
import { defineRoute } from '../routing';

/**
 * Accounts and sessions. Every route is public: register and login prove the caller with a
 * password, refresh and logout with the refresh token in the body (an expired access token must
 * not stop a refresh or a sign-out). All four share the login rate limit (passed by the server).
 */
export const authRoutes = {
  'auth.register': defineRoute({
    method: 'POST',
    path: '/auth/register',
    tags: ['auth'],
    description:
      'Creates an attendee account and signs it in (staff roles are granted by an admin). ' +
      'An X-Device-Id header (a UUID) ties the session to the device.',
    access: 'public',
    body: registerRequestSchema,
    responses: { 201: sessionSchema },
  }),
  'auth.login': defineRoute({
    method: 'POST',
    path: '/auth/login',
    tags: ['auth'],
    description:
      'Signs in with email and password; repeated failures lock sign-in for that email (and IP) for a while (ACCOUNT_LOCKED). ' +
      'An X-Device-Id header (a UUID) ties the session to the device.',
    access: 'public',
    body: loginRequestSchema,
    responses: { 200: sessionSchema },
  }),
  'auth.refresh': defineRoute({
    method: 'POST',
    path: '/auth/refresh',
    tags: ['auth'],
    description:
      'Exchanges a refresh token for a new session (the token rotates); presenting an already used token ' +
      'signs out every session from it (REFRESH_TOKEN_REUSED).',
    access: 'public',
    body: refreshRequestSchema,
    responses: { 200: sessionSchema },
  }),
  'auth.logout': defineRoute({
    method: 'POST',
    path: '/auth/logout',
    tags: ['auth'],
    description:
      'Signs out the session of a refresh token; holding the token is the proof, so an expired access token ' +
      'does not stop a sign-out. An unknown token is answered ok too.',
    access: 'public',
    body: logoutRequestSchema,
    responses: { 200: okSchema },
  }),
  'auth.confirmEmailChange': defineRoute({
    method: 'POST',
    path: '/auth/email-change/confirm',
    tags: ['auth'],
    description:
      'Confirms an email change with the code mailed to the new address (holding it is the proof, so no ' +
      'sign-in is needed): the account signs in with the new email from now on, its devices learn it through ' +
      "the user's sync bucket, and the old address gets a notice. A code works once (EMAIL_CHANGE_CODE_USED), " +
      'for 24 hours (EMAIL_CHANGE_CODE_EXPIRED); an unknown or replaced one is EMAIL_CHANGE_CODE_INVALID, and ' +
      'an address someone else took meanwhile EMAIL_TAKEN.',
    access: 'public',
    body: emailChangeConfirmSchema,
    responses: { 200: emailChangeConfirmedSchema },
  }),
} as const;
