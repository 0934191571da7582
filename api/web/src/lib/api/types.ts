/** Short names for the API's shapes, from the schema generated from `openapi.json`. */

import type { components } from './schema';

type Schemas = components['schemas'];

export type MeetingView = Schemas['MeetingView'];
export type AttendeeView = Schemas['AttendeeView'];
export type AttendeeInput = Schemas['AttendeeInput'];
export type ResponseStatus = Schemas['ResponseStatus'];
export type Answer = Schemas['AnswerInput'];
export type CalendarView = Schemas['CalendarView'];
export type CommandResult = Schemas['CommandResult'];
export type HistoryView = Schemas['HistoryView'];
export type HistoryEntry = Schemas['HistoryEntry'];
export type ScheduleMeetingRequest = Schemas['ScheduleMeetingRequest'];
export type UpdateMeetingRequest = Schemas['UpdateMeetingRequest'];
export type RescheduleRequest = Schemas['RescheduleRequest'];
export type Problem = Schemas['Problem'];
export type Session = Schemas['SessionView'];
export type AuthOptions = Schemas['SignInOptions'];
export type Person = Schemas['Person'];

export type { CalendarChange } from './auth-types';
