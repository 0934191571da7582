/**
 * Wall-clock times in IANA zones. The API takes a meeting's start and end as wall-clock
 * times in its zone (`2026-12-01T10:00:00` in `Europe/Berlin`) and gives the instants too;
 * the calendar works with instants shown in the browser's zone.
 */

/** The browser's IANA zone. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Every zone the browser knows, with the browser's own and UTC certainly among them. */
export function timeZones(): string[] {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const zones = new Set(known);
  zones.add(browserTimeZone());
  zones.add('UTC');
  return [...zones].sort();
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(timeZone: string): Intl.DateTimeFormat {
  let formatter = partsFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, formatter);
  }
  return formatter;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The wall-clock time `instant` shows in `timeZone`: `YYYY-MM-DDTHH:mm:ss`. */
export function wallClockIn(instant: Date, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of partsIn(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The browser's wall-clock time of `instant`. */
export function localWallClock(instant: Date): string {
  return (
    `${pad(instant.getFullYear(), 4)}-${pad(instant.getMonth() + 1)}-${pad(instant.getDate())}` +
    `T${pad(instant.getHours())}:${pad(instant.getMinutes())}:${pad(instant.getSeconds())}`
  );
}

function wallClockAsUtc(wall: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(wall);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s || 0);
}

/** The zone's offset from UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  return wallClockAsUtc(wallClockIn(new Date(instant), timeZone)) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time denotes in `timeZone` (the first of two in the hour the
 * clocks fall back, as the server reads it). Invalid input gives an invalid Date.
 */
export function instantOf(wall: string, timeZone: string): Date {
  const asUtc = wallClockAsUtc(wall);
  if (Number.isNaN(asUtc)) return new Date(Number.NaN);
  const day = 86_400_000;
  // The zone's offsets a day either side cover any transition at this wall-clock time.
  const candidates = [asUtc - offsetAt(asUtc - day, timeZone), asUtc - offsetAt(asUtc + day, timeZone)];
  const normalized = wallClockIn(new Date(asUtc), 'UTC');
  const shown = candidates.filter((instant) => wallClockIn(new Date(instant), timeZone) === normalized);
  return new Date(shown.length ? Math.min(...shown) : candidates[0]!);
}

/** `2026-12-01T10:00:00` → `2026-12-01T10:00`, the value of an `<input type=datetime-local>`. */
export function toInputValue(wall: string): string {
  return wall.slice(0, 16);
}

/** An `<input type=datetime-local>` value as the API's wall-clock time. */
export function fromInputValue(value: string): string {
  return value.length === 16 ? `${value}:00` : value;
}

/** Adds minutes to a wall-clock time, keeping it a wall-clock time. */
export function addMinutesToWall(wall: string, minutes: number): string {
  const asUtc = wallClockAsUtc(wall);
  return wallClockIn(new Date(asUtc + minutes * 60_000), 'UTC');
}

/** Minutes from one wall-clock time to another. */
export function minutesBetweenWalls(from: string, to: string): number {
  return Math.round((wallClockAsUtc(to) - wallClockAsUtc(from)) / 60_000);
}
