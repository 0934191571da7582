/**
 * React Big Calendar marks parts of its layout as table rows and cells where they do not
 * make a table: a header's text as a column header outside any row, rows holding events
 * beside their cells, rows with no cells at all. Screen readers then announce a broken
 * table. This takes those roles off, leaving plain groups with labelled buttons in them
 * (the day headings and the meetings); the agenda is a real `<table>` and keeps its own.
 */

const TABLE_ROLES = ['table', 'grid', 'rowgroup', 'row', 'cell', 'gridcell', 'columnheader', 'rowheader'];
const SELECTOR = TABLE_ROLES.map((role) => `[role="${role}"]`).join(',');

export function repairGridRoles(root: Element, hoursLabel: string): void {
  // The day and week views scroll through the hours: a keyboard must be able to reach
  // and scroll that region too, and a screen reader to name it.
  root.querySelectorAll('.rbc-time-content').forEach((region) => {
    region.setAttribute('tabindex', '0');
    region.setAttribute('role', 'region');
    region.setAttribute('aria-label', hoursLabel);
  });
  root.querySelectorAll(SELECTOR).forEach((element) => {
    element.removeAttribute('role');
    element.removeAttribute('aria-sort');
    element.removeAttribute('aria-rowindex');
    element.removeAttribute('aria-colindex');
  });
}

/** Repairs the roles now and whenever the calendar renders new parts. */
export function watchGridRoles(root: Element, hoursLabel: string): () => void {
  let scheduled = false;
  const repair = () => {
    scheduled = false;
    repairGridRoles(root, hoursLabel);
  };
  repair();
  const observer = new MutationObserver(() => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(repair);
    }
  });
  observer.observe(root, { childList: true, subtree: true });
  return () => observer.disconnect();
}
