import { describe, expect, it } from 'vitest';
import { addDays, loanStatus } from '../src/routes/loans/loan-dates';

describe('addDays', () => {
  it.each([
    ['2024-01-10', 14, '2024-01-24'], // inside a month
    ['2024-01-31', 14, '2024-02-14'], // over a month end
    ['2024-02-15', 14, '2024-02-29'], // onto a leap day
    ['2024-02-20', 14, '2024-03-05'], // over a leap February (29 days)
    ['2023-02-20', 14, '2023-03-06'], // over a common February (28 days)
    ['2100-02-20', 14, '2100-03-06'], // 2100 is not a leap year
    ['2000-02-20', 14, '2000-03-05'], // 2000 is
    ['2024-12-25', 14, '2025-01-08'], // over a year end
    ['2024-03-30', 14, '2024-04-13'], // over a European DST change: UTC has none
    ['2024-03-05', -14, '2024-02-20'], // backwards
    ['0099-12-25', 14, '0100-01-08'], // two-digit years are not mapped to 19xx
  ])('%s + %i days = %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });
});

describe('loanStatus', () => {
  it('is returned once there is a return date, whatever the deadline', () => {
    expect(loanStatus({ return_date: '2024-01-20', deadline: '2024-01-14' }, '2024-02-01')).toBe('returned');
  });

  it('is active up to and including the deadline, overdue from the day after', () => {
    expect(loanStatus({ return_date: null, deadline: '2024-01-14' }, '2024-01-14')).toBe('active');
    expect(loanStatus({ return_date: null, deadline: '2024-01-14' }, '2024-01-15')).toBe('overdue');
  });
});
