import { describe, expect, it } from 'vitest';
import { addMinutesToWall, instantOf, minutesBetweenWalls, wallClockIn } from '../time';

describe('wall-clock times in time zones', () => {
  it('reads an instant as the wall-clock time of a zone', () => {
    expect(wallClockIn(new Date('2026-12-01T10:00:00Z'), 'Europe/Berlin')).toBe('2026-12-01T11:00:00');
    expect(wallClockIn(new Date('2026-07-01T10:00:00Z'), 'America/New_York')).toBe('2026-07-01T06:00:00');
  });

  it('finds the instant a wall-clock time denotes, on either side of daylight saving', () => {
    expect(instantOf('2026-12-01T11:00:00', 'Europe/Berlin').toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(instantOf('2026-07-01T11:00:00', 'Europe/Berlin').toISOString()).toBe('2026-07-01T09:00:00.000Z');
    expect(instantOf('2026-12-01T10:00:00', 'Asia/Kolkata').toISOString()).toBe('2026-12-01T04:30:00.000Z');
  });

  it('takes the first of the two 02:30s when the clocks fall back, as the server does', () => {
    expect(instantOf('2026-10-25T02:30:00', 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('adds minutes to a wall-clock time across midnight', () => {
    expect(addMinutesToWall('2026-12-31T23:30:00', 90)).toBe('2027-01-01T01:00:00');
    expect(minutesBetweenWalls('2026-12-01T10:00:00', '2026-12-01T11:30:00')).toBe(90);
  });
});
