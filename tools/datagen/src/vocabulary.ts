/**
 * Word lists for realistic-looking Brazilian/US e-commerce and SaaS data. Accented names ("São Paulo",
 * "João") are on purpose: they exercise UTF-8 vs Latin-1 handling. Every character here exists in
 * Windows-1252, so a Latin-1 file can hold all of it.
 */
export const COMPANY_WORDS = [
  'Acme', 'Aurora', 'Boreal', 'Cerrado', 'Delta', 'Estrela', 'Fênix', 'Górdio', 'Horizonte', 'Ipê', 'Jatobá',
  'Kappa', 'Lumen', 'Maré', 'Nimbus', 'Órbita', 'Pampa', 'Quasar', 'Rio Claro', 'Sertão', 'Tucano', 'Ubá',
  'Vértice', 'Wave', 'Xingu', 'Yara', 'Zênite', 'Blue Harbor', 'Copper Hill', 'Granite', 'Northwind',
] as const;

export const COMPANY_SUFFIXES = ['Comércio Ltda', 'Tecnologia S.A.', 'Serviços', 'Inc.', 'LLC', 'Indústria', 'Digital', 'Labs'] as const;

export const FIRST_NAMES = ['Ana', 'João', 'Maria', 'José', 'Luíza', 'Pedro', 'Débora', 'Mário', 'Cecília', 'Emily', 'James', 'Olivia', 'Noah', 'Sofia', 'Tomás'] as const;
export const LAST_NAMES = ['Souza', 'Araújo', 'Conceição', 'Gonçalves', 'Pereira', 'Lima', 'Müller', 'Smith', 'Johnson', 'Brandão', 'Falcão', 'Nóbrega'] as const;

export const REGIONS = ['São Paulo', 'Minas Gerais', 'Rio de Janeiro', 'Paraná', 'Bahia', 'Pernambuco', 'Ceará', 'Goiás', 'California', 'New York', 'Texas'] as const;

export const OWNERS = ['Ana Souza', 'João Araújo', 'Débora Lima', 'Mário Gonçalves', 'Emily Smith', 'Noah Johnson'] as const;

export const SEGMENTS: readonly (readonly [string, number])[] = [['SMB', 0.6], ['Mid-Market', 0.88], ['Enterprise', 1]];

/** Plan with its monthly price in cents; the weights are cumulative. */
export const PLANS: readonly (readonly [{ name: string; mrrCents: number; tier: string }, number])[] = [
  [{ name: 'free', mrrCents: 0, tier: 'bronze' }, 0.2],
  [{ name: 'starter', mrrCents: 4900, tier: 'silver' }, 0.55],
  [{ name: 'pro', mrrCents: 19900, tier: 'gold' }, 0.85],
  [{ name: 'business', mrrCents: 59900, tier: 'gold' }, 0.97],
  [{ name: 'enterprise', mrrCents: 249900, tier: 'platinum' }, 1],
];

export const PRODUCT_CATEGORIES = ['Eletrônicos', 'Casa e Decoração', 'Papelaria', 'Informática', 'Esporte', 'Beleza', 'Alimentos', 'Acessórios'] as const;
export const PRODUCT_NOUNS = ['Cabo', 'Caneca', 'Cadeira', 'Mochila', 'Teclado', 'Mouse', 'Luminária', 'Garrafa', 'Caderno', 'Fone', 'Tênis', 'Sérum', 'Café'] as const;
export const PRODUCT_ADJECTIVES = ['Básico', 'Pro', 'Compacto', 'Ergonômico', 'Clássico', 'Térmico', 'Sem fio', 'Premium', 'Orgânico'] as const;

export const ORDER_STATUSES: readonly (readonly [string, number])[] = [
  ['paid', 0.72], ['shipped', 0.8], ['delivered', 0.86], ['pending', 0.88], ['canceled', 0.95], ['refunded', 1],
];

export const USAGE_EVENT_TYPES = ['login', 'report_viewed', 'export_created', 'dashboard_shared', 'api_call', 'user_invited'] as const;
export const FEATURES = ['dashboards', 'reports', 'alerts', 'exports', 'api', 'integrations'] as const;

export const CONTACT_ROLES = ['Champion', 'Decision maker', 'Admin', 'User', 'Finance'] as const;
export const TICKET_PRIORITIES: readonly (readonly [string, number])[] = [['low', 0.4], ['normal', 0.8], ['high', 0.95], ['urgent', 1]];
export const TICKET_STATUSES: readonly (readonly [string, number])[] = [['open', 0.15], ['pending', 0.25], ['solved', 0.85], ['closed', 1]];

/**
 * NPS comments, some with the characters that break naive CSV handling: the delimiters, double quotes and
 * a line break inside one field.
 */
export const NPS_COMMENTS = [
  null,
  null,
  'Ótimo suporte, recomendo!',
  'Bom produto; mas o preço subiu',
  'Falta integração com o ERP "legado"',
  'Great product | would recommend',
  'O relatório de vendas é lento.\nDemora mais de um minuto.',
  'Atendimento excelente, São Paulo',
] as const;
