import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
const cols = ['id','event_id','rev','doc','doc_is_server','code','name_lower','email_lower','status','created_at'];
function setup() {
  const db = new Database(path.join(mkdtempSync(path.join(tmpdir(), 'ins-')), 'x.db'));
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('cache_size = -2048');
  db.exec(`CREATE TABLE bookings (id TEXT NOT NULL, event_id TEXT NOT NULL, rev INTEGER NOT NULL, server_doc TEXT, doc TEXT, doc_is_server INTEGER, code TEXT, name_lower TEXT, email_lower TEXT, status TEXT, created_at TEXT)`);
  return db;
}
const rows: unknown[][] = [];
for (let i = 0; i < 100000; i++) { const id = randomUUID(); rows.push([id, 'ev-1', 1, JSON.stringify({ id, eventId: 'ev-1', userId: 'u', ticketTypeId: 'tt', quantity: 1, attendee: { name: `Ada Lovelace ${i}`, email: `a${i}@example.test` }, status: 'confirmed', source: 'online', overCapacity: false, code: 'K7Q2M9XA', createdAt: new Date().toISOString(), cancelledAt: null }), 1, 'k7q2m9xa', `ada lovelace ${i}`, `a${i}@example.test`, 'confirmed', new Date().toISOString()]); }
function single() { const db = setup(); const st = db.prepare(`INSERT INTO bookings (${cols}) VALUES (${cols.map(() => '?')})`);
  const t = process.cpuUsage(); for (let p = 0; p < 50; p++) db.transaction(() => { for (let i = p * 2000; i < (p + 1) * 2000; i++) st.run(...rows[i]!); })(); const u = process.cpuUsage(t); return (u.user + u.system) / 1000; }
function multi(n: number) { const db = setup(); const st = db.prepare(`INSERT INTO bookings (${cols}) VALUES ${Array.from({ length: n }, () => `(${cols.map(() => '?')})`).join(',')}`);
  const t = process.cpuUsage(); for (let p = 0; p < 50; p++) db.transaction(() => { for (let i = p * 2000; i < (p + 1) * 2000; i += n) st.run(...rows.slice(i, i + n).flat()); })(); const u = process.cpuUsage(t); return (u.user + u.system) / 1000; }
for (let r = 0; r < 3; r++) console.log({ single: single(), multi50: multi(50), multi200: multi(200) });
