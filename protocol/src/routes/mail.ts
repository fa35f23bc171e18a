import { pageSchema } from '../common';
import { defineRoute } from '../routing';
import { mailIdParamsSchema, mailListQuerySchema, mailMessageSchema, mailSummarySchema } from '../mail';

const admin = { permission: 'mail.manage' } as const;

/** The admin's view of the mail outbox: dead letters listed, retried, discarded. */
export const mailRoutes = {
  'mail.list': defineRoute({
    method: 'GET',
    path: '/admin/mail',
    tags: ['mail'],
    description:
      'Outbox messages, newest first by when they were queued (a retry keeps its place); `status=dead` lists ' +
      'the dead letters.',
    access: admin,
    query: mailListQuerySchema,
    responses: { 200: pageSchema(mailMessageSchema) },
  }),
  'mail.summary': defineRoute({
    method: 'GET',
    path: '/admin/mail/summary',
    tags: ['mail'],
    description: 'How many messages are queued, sending, sent and dead.',
    access: admin,
    responses: { 200: mailSummarySchema },
  }),
  'mail.retry': defineRoute({
    method: 'POST',
    path: '/admin/mail/:id/retry',
    tags: ['mail'],
    description: 'Gives a dead or discarded message a fresh set of tries, starting now; answers it as pending.',
    access: admin,
    params: mailIdParamsSchema,
    responses: { 200: mailMessageSchema },
  }),
  'mail.discard': defineRoute({
    method: 'POST',
    path: '/admin/mail/:id/discard',
    tags: ['mail'],
    description: 'Gives a dead or pending message up for good; answers it as discarded.',
    access: admin,
    params: mailIdParamsSchema,
    responses: { 200: mailMessageSchema },
  }),
} as const;
