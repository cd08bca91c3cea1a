import { normalizeHeader, normalizeHeaderRow } from './header-names';

describe('header normalisation', () => {
  it.each([
    ['Customer ID', 'customer_id'],
    ['\uFEFF external_id ', 'external_id'],
    ['Preço (R$)', 'preco_r'],
    ['E-mail', 'e_mail'],
    ['CLIENTE DESDE', 'cliente_desde'],
    ['Região', 'regiao'],
  ])('%j -> %s', (header, expected) => {
    expect(normalizeHeader(header)).toBe(expected);
  });

  it('keeps names unique and names empty headers by position', () => {
    expect(normalizeHeaderRow(['Region', 'region', '', 'REGION'])).toEqual(['region', 'region_2', 'column_3', 'region_3']);
  });
});
