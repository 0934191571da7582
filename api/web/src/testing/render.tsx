/** Renders a piece of the app as it runs: real providers, a memory router, a fresh cache. */

import { render, type RenderOptions } from '@testing-library/react';
import type { QueryClient } from '@tanstack/react-query';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { AppProvider, createQueryClient } from '../app/provider';

interface Options extends Omit<RenderOptions, 'wrapper'> {
  /** The address the router starts at. */
  route?: string;
  /** A route pattern the element is mounted at, so that `useParams` works. */
  path?: string;
  queryClient?: QueryClient;
}

export function testQueryClient(): QueryClient {
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { retry: false, staleTime: 0, refetchOnWindowFocus: false }, mutations: { retry: false } });
  return client;
}

export function renderApp(ui: ReactElement, { route = '/', path, queryClient = testQueryClient(), ...options }: Options = {}) {
  const result = render(
    <AppProvider queryClient={queryClient}>
      <MemoryRouter initialEntries={[route]}>
        {path ? (
          <Routes>
            <Route path={path} element={ui} />
          </Routes>
        ) : (
          ui
        )}
      </MemoryRouter>
    </AppProvider>,
    options,
  );
  return { ...result, queryClient };
}
