import { userSchema } from '../auth';
import { pageSchema } from '../common';
import { defineRoute } from '../routing';
import { idParamsSchema, userAdminPatchSchema, userListQuerySchema, userSelfPatchSchema } from '../users';

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
