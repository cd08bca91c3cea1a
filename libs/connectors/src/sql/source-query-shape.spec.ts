import { assertOneSubquery } from './source-query-shape';
import type { SqlDialectName } from './sql-dialect';

const DIALECTS: SqlDialectName[] = ['postgres', 'mysql', 'mssql', 'oracle'];

const refusal = (dialect: SqlDialectName, query: string): string | null => {
  try {
    assertOneSubquery(dialect, query);
    return null;
  } catch (error) {
    return (error as { code?: string; message: string }).code + ': ' + (error as Error).message;
  }
};

describe('assertOneSubquery', () => {
  it.each(DIALECTS)('takes ordinary SELECTs in %s, with ";" and ")" inside literals, quoted names and comments', (dialect) => {
    for (const query of [
      'SELECT id, name FROM customers WHERE active',
      "SELECT id, 'a;b)' AS note, count(*) FROM (SELECT id FROM t WHERE x IN (1, 2)) s GROUP BY id",
      'SELECT "weird;name)" FROM t',
      "SELECT 'it''s' AS a FROM t -- a comment; with ) in it\nWHERE b = 1",
      'SELECT 1 /* ; ) */ AS one',
    ]) {
      expect([query, refusal(dialect, query)]).toEqual([query, null]);
    }
  });

  it('reads each database\'s own quoting: dollar quotes in PostgreSQL, brackets in SQL Server, backticks and # comments in MySQL', () => {
    expect(refusal('postgres', "SELECT $$a;)$$ AS x, $tag$b)$tag$ AS y, price$1 FROM t")).toBeNull();
    expect(refusal('mssql', 'SELECT [odd;name)]]] FROM [dbo].[t]')).toBeNull();
    expect(refusal('mysql', 'SELECT `a;b)` FROM t # comment; )\nWHERE 1')).toBeNull();
  });

  // Each would run other statements with the source's credentials if put in `(<query>) src` as it is.
  it.each(DIALECTS)('refuses in %s a query that leaves the subquery or ends the statement', (dialect) => {
    expect(refusal(dialect, 'SELECT id FROM victim) src; DELETE FROM victim; SELECT * FROM (SELECT 1')).toMatch(/^invalid_source_config: .*closes a parenthesis it did not open/);
    // SQL Server runs statements that follow each other without any separator.
    expect(refusal(dialect, 'SELECT 1 AS a) src DELETE FROM victim SELECT * FROM (SELECT 1 AS a')).toMatch(/closes a parenthesis it did not open/);
    expect(refusal(dialect, 'SELECT 1; DELETE FROM victim')).toMatch(/holds a ";"/);
    expect(refusal(dialect, 'SELECT (1')).toMatch(/a parenthesis is left open/);
    expect(refusal(dialect, "SELECT 'open")).toMatch(/not closed/);
    expect(refusal(dialect, 'SELECT 1 /* ) src; DELETE FROM victim')).toMatch(/not closed/);
  });

  it('refuses what databases read differently instead of guessing: a backslash before a quote, Oracle q quoting', () => {
    // T-SQL ends the literal at the second quote (then the DELETE runs); MySQL reads \' as a quote.
    for (const dialect of DIALECTS) expect(refusal(dialect, "SELECT 'a\\' AS x) src DELETE FROM victim --'")).toMatch(/backslash before a quote/);
    expect(refusal('postgres', "SELECT E'\\'' ) src; DELETE FROM victim; --'")).toMatch(/backslash before a quote/);
    expect(refusal('oracle', "SELECT q'[ ' ]' ; DELETE FROM victim '' FROM dual")).toMatch(/q'...' quoting is not supported/);
  });

  it('refuses comments databases read differently: nested ones (SQL Server, PostgreSQL), MySQL\'s executable ones', () => {
    // SQL Server and PostgreSQL end the comment at the second */: the quote, the ) and the DELETE are code there.
    for (const dialect of DIALECTS) {
      expect(refusal(dialect, "SELECT 1 AS a /* /* */ ' */ ) src DELETE FROM victim --'")).toMatch(/a comment inside a comment/);
    }
    expect(refusal('mysql', 'SELECT 1 /*! ) src UNION SELECT 2 */')).toMatch(/MySQL runs the text of a \/\*! comment/);
    expect(refusal('mysql', 'SELECT 1 /*M! ) src UNION SELECT 2 */')).toMatch(/MySQL runs the text/);
    expect(refusal('oracle', 'SELECT /*+ FULL(t) */ id FROM t')).toBeNull();
  });

  it('reads PostgreSQL dollar quotes as PostgreSQL does, with non-ASCII tags and after non-ASCII names', () => {
    expect(refusal('postgres', "SELECT $é$ ' $é$ ) src --'")).toMatch(/closes a parenthesis/);
    expect(refusal('postgres', "SELECT é$q$ ' ) src --$q$'")).toBeNull(); // `é$q$` is a name there: the quote opens a literal
    expect(refusal('postgres', "SELECT $é$ a;b $é$ AS x")).toBeNull();
  });

  it('takes "--" as a comment in MySQL only when a space follows, as MySQL does', () => {
    expect(refusal('mysql', 'SELECT 1--1) src UNION SELECT 2')).toMatch(/closes a parenthesis/);
    expect(refusal('mysql', 'SELECT 1 -- ) comment')).toBeNull();
    // A line comment ends at a carriage return too.
    expect(refusal('mssql', 'SELECT 1 --x\r) src DELETE FROM victim SELECT (1')).toMatch(/closes a parenthesis/);
    // Not a dollar quote when the $ continues a name.
    expect(refusal('postgres', 'SELECT a$b$ FROM t WHERE c = 1) src; DELETE FROM victim; --$b$')).toMatch(/closes a parenthesis/);
  });
});
