import { normalizeHeader, normalizeHeaderRow } from './header-names';

describe('header normalisation', () => {
  it.each([
    ['Customer ID', 'customer_id'],
    ['\uFEFF external_id ', 'external_id'],
    ['Preço (R$)', 'preco_r'],
    ['E-mail', 'e_mail'],
    ['CLIENTE DESDE', 'cliente_desde'],
    ['Região', 'regiao'],
    ['Código do Cliente', 'codigo_do_cliente'],
    ['Ärger ǖ ệ', 'arger_u_e'],
    // Other scripts are spelt in ASCII: before, these were empty (`column_<n>`) or lost letters (`stra_e`).
    ['Код клиента', 'kod_klienta'],
    ['Край', 'kray'],
    ['Ελληνικά', 'ellinika'],
    ['Straße', 'strasse'],
    ['Ærø', 'aero'],
    ['東京', 'dong_jing'],
    ['😀 score', 'score'],
  ])('%j -> %s', (header, expected) => {
    expect(normalizeHeader(header)).toBe(expected);
  });

  it('keeps names unique and names empty headers by position', () => {
    expect(normalizeHeaderRow(['Region', 'region', '', 'REGION'])).toEqual(['region', 'region_2', 'column_3', 'region_3']);
    expect(normalizeHeaderRow(['#', '😀'])).toEqual(['column_1', 'column_2']);
    // A suffix never takes a name another column is called by itself.
    expect(normalizeHeaderRow(['Phone', 'Phone', 'Phone 2', 'phone_3'])).toEqual(['phone', 'phone_4', 'phone_2', 'phone_3']);
    expect(normalizeHeaderRow(['#', 'column_1'])).toEqual(['column_1', 'column_1_2']);
  });
});
