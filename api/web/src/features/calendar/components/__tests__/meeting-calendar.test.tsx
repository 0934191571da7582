import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LanguageSwitch } from '../../../../components/language-switch';
import type { MeetingView } from '../../../../lib/api/types';
import { aMeeting } from '../../../../testing/data';
import { json, mockApi } from '../../../../testing/mock-api';
import { PHONE_QUERY } from '../../../../lib/use-media-query';
import { renderApp } from '../../../../testing/render';
import { MeetingCalendar } from '../meeting-calendar';
import { fakeMatchMedia } from '../../../../testing/media';

const week = '/?view=week&date=2026-12-02';

function calendarAnswer(meetings: MeetingView[]) {
  return (request: { query: URLSearchParams }) =>
    json(200, { from: request.query.get('from'), to: request.query.get('to'), meetings });
}

function renderCalendar(route = week, handlers = { onOpenMeeting: vi.fn(), onCreate: vi.fn() }) {
  renderApp(
    <>
      <LanguageSwitch />
      <MeetingCalendar {...handlers} />
    </>,
    { route },
  );
  return handlers;
}

/** A phone's screen: the app's phone media query matches. */
function onPhone() {
  vi.stubGlobal('matchMedia', fakeMatchMedia((query) => query === PHONE_QUERY));
}

const dayHeaders = () => Array.from(document.querySelectorAll('.rbc-time-header .rbc-header')).map((cell) => cell.textContent);

describe('the calendar', () => {
  it('switches language: the toolbar’s words and the first day of the week change', async () => {
    const api = mockApi().on('GET', '/api/calendar', calendarAnswer([]));
    const user = userEvent.setup();
    renderCalendar();

    expect(await screen.findByRole('button', { name: 'Today' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next week' })).toBeInTheDocument();
    expect(dayHeaders()[0]).toMatch(/^Sun/);
    await vi.waitFor(() => expect(api.sent('GET', '/api/calendar')[0]?.query.get('from')).toBe('2026-11-29T00:00:00.000Z'));

    await user.selectOptions(screen.getByRole('combobox', { name: 'Language' }), 'ru');

    expect(screen.getByRole('button', { name: 'Сегодня' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Следующая неделя' })).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Вид' })).toHaveTextContent('МесяцНеделяДеньСписок');
    expect(dayHeaders()[0]).toMatch(/^пн/);
    await vi.waitFor(() =>
      expect(api.sent('GET', '/api/calendar').map((request) => request.query.get('from'))).toContain('2026-11-30T00:00:00.000Z'),
    );
  });

  it('fetches the visible range and shows each meeting with the person’s answer in words', async () => {
    const tentative = aMeeting({ my_role: 'attendee', my_response: 'tentative', title: 'Design review' });
    mockApi().on('GET', '/api/calendar', calendarAnswer([tentative]));
    const { onOpenMeeting } = renderCalendar();

    const event = await screen.findByRole('button', { name: /Design review, maybe/ });
    event.click();
    expect(onOpenMeeting).toHaveBeenCalledWith(tentative.id);
  });

  it('offers a new meeting when the week is empty', async () => {
    mockApi().on('GET', '/api/calendar', calendarAnswer([]));
    const user = userEvent.setup();
    const { onCreate } = renderCalendar();

    expect(await screen.findByText('No meetings this week')).toBeInTheDocument();
    const buttons = screen.getAllByRole('button', { name: 'New meeting' });
    await user.click(buttons[buttons.length - 1]!);
    expect(onCreate).toHaveBeenCalledWith({ start: new Date(2026, 11, 2, 9), end: new Date(2026, 11, 2, 10) });
  });

  it('strikes cancelled meetings through, and hides them on request', async () => {
    const cancelled = aMeeting({ status: 'cancelled', title: 'Old sync' });
    mockApi().on('GET', '/api/calendar', calendarAnswer([cancelled]));
    const user = userEvent.setup();
    renderCalendar();

    const event = await screen.findByRole('button', { name: /Old sync, cancelled/ });
    expect(event).toHaveClass('is-cancelled');
    await user.click(screen.getByRole('checkbox', { name: 'Show cancelled' }));
    expect(screen.queryByRole('button', { name: /Old sync/ })).not.toBeInTheDocument();
  });

  it('lists the meetings in the agenda as buttons', async () => {
    const meeting = aMeeting({ title: 'Standup', starts_at: '2026-12-03T09:00:00Z', ends_at: '2026-12-03T09:15:00Z' });
    mockApi().on('GET', '/api/calendar', calendarAnswer([meeting]));
    const { onOpenMeeting } = renderCalendar('/?view=agenda&date=2026-12-02');

    const button = await screen.findByRole('button', { name: /Standup/ });
    expect(button.closest('td')).toHaveClass('rbc-agenda-event-cell');
    button.click();
    expect(onOpenMeeting).toHaveBeenCalledWith(meeting.id);
  });

  it('keeps the week’s day headings whole on wider screens', async () => {
    mockApi().on('GET', '/api/calendar', calendarAnswer([]));
    renderCalendar();

    expect(await screen.findByRole('button', { name: 'Today' })).toBeInTheDocument();
    expect(dayHeaders()).toEqual(['Sun 11/29', 'Mon 11/30', 'Tue 12/1', 'Wed 12/2', 'Thu 12/3', 'Fri 12/4', 'Sat 12/5']);
  });

  it('shortens the week’s day headings on a phone, keeping the full date for screen readers', async () => {
    onPhone();
    mockApi().on('GET', '/api/calendar', calendarAnswer([]));
    const user = userEvent.setup();
    renderCalendar();

    expect(await screen.findByRole('button', { name: 'Sunday, November 29' })).toBeInTheDocument();
    const shown = () =>
      Array.from(document.querySelectorAll('.rbc-time-header .rbc-header [aria-hidden="true"]')).map((label) => label.textContent);
    expect(shown()).toEqual(['S 29', 'M 30', 'T 1', 'W 2', 'T 3', 'F 4', 'S 5']);

    await user.selectOptions(screen.getByRole('combobox', { name: 'Language' }), 'ru');

    expect(shown()).toEqual(['пн 30', 'вт 1', 'ср 2', 'чт 3', 'пт 4', 'сб 5', 'вс 6']);
    expect(screen.getByRole('button', { name: 'понедельник, 30 ноября' })).toBeInTheDocument();
  });
});
