/** The pages: the calendar at `/`, a meeting over it at `/meetings/:id`, a meeting's call at
 * `/rooms/:roomId` (open to guests with a link, so outside the signed-in frame; loaded when
 * first needed). */

import { lazy, Suspense, useState } from 'react';
import { createBrowserRouter, RouterProvider, type RouteObject } from 'react-router-dom';
import { AppRoot } from './routes/app-root';
import { CalendarRoute } from './routes/calendar';
import { MeetingRoute } from './routes/meeting';
import { NotFoundRoute } from './routes/not-found';

const RoomPage = lazy(() => import('../features/call/components/room-page').then((module) => ({ default: module.RoomPage })));

export const routes: RouteObject[] = [
  {
    path: '/rooms/:roomId',
    element: (
      <Suspense fallback={null}>
        <RoomPage />
      </Suspense>
    ),
  },
  {
    path: '/',
    element: <AppRoot />,
    children: [
      {
        element: <CalendarRoute />,
        children: [
          { index: true, element: null },
          { path: 'meetings/:id', element: <MeetingRoute /> },
        ],
      },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];

export function AppRouter() {
  const [router] = useState(() => createBrowserRouter(routes));
  return <RouterProvider router={router} />;
}
