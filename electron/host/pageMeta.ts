import escapeHtml from 'escape-html';

/**
 * Puts `<meta name content>` tags (the per-run token, the default server address) right after the
 * page's `<head>`, names and values escaped. Used by the browser host and by Electron's app://
 * protocol alike. Throws when there are tags to add and the page has no `<head>`.
 */
export function withPageMeta(html: string, meta: Record<string, string>): string {
  const tags = Object.entries(meta)
    .map(([name, content]) => `<meta name="${escapeHtml(name)}" content="${escapeHtml(content)}" />`)
    .join('');
  if (tags === '') return html;
  if (!/<head[^>]*>/i.test(html)) throw new Error('renderer index.html has no <head>');
  return html.replace(/<head([^>]*)>/i, (head) => `${head}${tags}`);
}
