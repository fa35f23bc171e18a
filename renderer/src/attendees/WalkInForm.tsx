import { truncateText, type Event } from '@gatehouse/protocol';
import { useState, type FormEvent } from 'react';
import { useAttendeesStore } from './attendeesStore';

export function WalkInForm({ event }: { event: Event }) {
  const walkIn = useAttendeesStore((state) => state.walkIn);
  const showTicket = useAttendeesStore((state) => state.showTicket);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [ticketTypeId, setTicketTypeId] = useState(event.ticketTypes[0]?.id ?? '');
  const [added, setAdded] = useState<{ id: string; name: string; code: string; ticketTypeName: string } | null>(null);
  const [saving, setSaving] = useState(false);

  async function submit(submitEvent: FormEvent): Promise<void> {
    submitEvent.preventDefault();
    setSaving(true);
    const booking = await walkIn({
      ticketTypeId: ticketTypeId || event.ticketTypes[0]?.id || '',
      attendee: { name: name.trim(), ...(email.trim() ? { email: email.trim() } : {}) },
    });
    setSaving(false);
    if (booking) {
      const typeName = event.ticketTypes.find((type) => type.id === booking.ticketTypeId)?.name ?? '';
      setAdded({ id: booking.id, name: booking.attendee.name, code: booking.code, ticketTypeName: typeName });
      setName('');
      setEmail('');
    }
  }

  return (
    <form className="walkin" aria-label="Add walk-in" onSubmit={(e) => void submit(e)}>
      <label>
        Walk-in name
        <input value={name} onChange={(e) => setName(truncateText(e.target.value, 200))} required />
      </label>
      <label>
        Email (optional)
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Ticket type
        <select value={ticketTypeId} onChange={(e) => setTicketTypeId(e.target.value)}>
          {event.ticketTypes.map((type) => (
            <option key={type.id} value={type.id}>
              {type.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="button-primary" disabled={saving || !name.trim()}>
        Add walk-in
      </button>
      {added ? (
        <p className="walkin-added" role="status">
          Added {added.name} ({added.code}).{' '}
          <button type="button" className="button-link" onClick={() => void showTicket(added.id, added)}>
            Show ticket
          </button>
        </p>
      ) : null}
    </form>
  );
}
