// @vitest-environment node
import { filterActive, freshFilter, localOffsetMinutes, toRecordFilter } from './filters';

describe('records filter', () => {
  it('is off when empty and asks nothing of the vault', () => {
    expect(filterActive(freshFilter())).toBe(false);
    expect(toRecordFilter(freshFilter(), 0)).toEqual({ ok: true, filter: null });
    expect(toRecordFilter({ ...freshFilter(), on: 'changed', since: '  ' }, 0)).toEqual({ ok: true, filter: null });
  });

  it('reads dates as typed in every language, as whole periods', () => {
    const r = toRecordFilter({ author: '', on: 'changed', since: '2026년 11월', until: '2026年12月31日' }, 540);
    expect(r).toEqual({
      ok: true,
      filter: {
        form: null,
        author: null,
        author_did: 'changed',
        since: '2026-11',
        until: '2026-12-31',
        dated: 'changed',
        utc_offset_minutes: 540,
      },
    });
    // A month up to its own last day, a year to its month.
    expect(toRecordFilter({ ...freshFilter(), since: '2026-11', until: '2026-11' }, 0).ok).toBe(true);
    expect(toRecordFilter({ ...freshFilter(), since: '2026-11-30', until: '2026-11' }, 0).ok).toBe(true);
    expect(toRecordFilter({ ...freshFilter(), since: '2026', until: '2026-01-01' }, 0).ok).toBe(true);
  });

  it('names the field that is wrong: not a date, approximate, or a start after the end', () => {
    expect(toRecordFilter({ ...freshFilter(), since: 'soon' }, 0)).toEqual({ ok: false, field: 'since', key: 'records.filter_bad_date' });
    expect(toRecordFilter({ ...freshFilter(), until: 'about 2026' }, 0)).toEqual({ ok: false, field: 'until', key: 'records.filter_bad_date' });
    expect(toRecordFilter({ ...freshFilter(), since: '2026-12', until: '2026-11-30' }, 0)).toEqual({
      ok: false,
      field: 'until',
      key: 'records.filter_bad_range',
    });
  });

  it('sends the local zone as minutes east of UTC', () => {
    const d = new Date();
    expect(localOffsetMinutes(d)).toBe(-d.getTimezoneOffset());
  });
});
