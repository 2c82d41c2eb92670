/** A complete, valid Annex 1 form for tests (every section filled), with overrides. */
export function validForm(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    applicant: 'Министерство цифрового развития, инноваций и аэрокосмической промышленности РК',
    complexName: 'Информационная система «Электронные закупки»',
    systemCode: 'IS-EPROC',
    copies: 1,
    items: [
      { name: 'Исходные коды (архив)', cdSerial: 'CD-0001', sizeMb: 512.5, paperSheets: 0, original: 'original' },
      { name: 'Техническая документация', paperSheets: 120, original: 'copy' },
    ],
    owner: {
      fullName: 'Министерство цифрового развития',
      subordination: 'Правительство РК',
      shortName: 'МЦРИАП',
      postalIndex: '010000',
      address: 'г. Астана, пр. Мангилик Ел, 55/14',
      phone: '+7 (7172) 74-99-99',
      email: 'info@mdai.gov.kz',
      web: 'https://www.gov.kz',
      contactPerson: 'Ахметов Нурлан Серикович',
    },
    developer: { kind: 'organization', fullName: 'ТОО «Разработчик»', phone: '+7 727 000 00 00', email: 'dev@example.kz' },
    authors: 'Иванов И. И., Сейткали А. Б.',
    certification: 'Сертификат соответствия № 123',
    releaseYear: 2025,
    version: '2.3.1',
    programmingLanguage: 'Java 21, TypeScript',
    releaseDate: '2025-11-01',
    annotation: 'Система электронных государственных закупок.',
    requirements: { computer: 'x86-64', ram: '16 GB', disk: '200 GB', os: 'Linux' },
    protection: { present: true, description: 'Лицензионные ключи' },
    funding: ['republican_budget'],
    applicationDate: '2026-03-16',
    commissioning: { kind: 'industrial_operation', date: '2026-03-10' },
    signer: { fullName: 'Жумабеков Ерлан Маратович', position: 'Вице-министр' },
    ...overrides,
  };
}
