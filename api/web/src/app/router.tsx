/** The pages: the calendar at `/`, a meeting over it at `/meetings/:id`. */

import { useState } from 'react';
import { createBrowserRouter, RouterProvider, type RouteObject } from 'react-router-dom';
import { AppRoot } from './routes/app-root';
import { CalendarRoute } from './routes/calendar';
import { MeetingRoute } from './routes/meeting';
import { NotFoundRoute } from './routes/not-found';

export const routes: RouteObject[] = [
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
