import { splitLiveArgs } from '../../bench/live-all';

describe('bench live options', () => {
  test('when suggestion and stream options are mixed, then each half gets its own, in both spellings', () => {
    expect(
      splitLiveArgs([
        '--streams',
        '100',
        '--articles',
        '200',
        '--duration-s=20',
        '--csv=/tmp/b.csv',
        '--pglite',
      ]),
    ).toEqual({
      live: ['--streams', '100', '--duration-s=20', '--pglite'],
      suggest: ['--articles', '200', '--csv', '/tmp/b.csv'],
    });
  });
});
