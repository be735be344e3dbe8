/**
 * The demo hospital: a fictional two-site Russian hospital with realistic
 * structure and staff. All names are invented. Every account's password is
 * `konsilium-demo`.
 */
import type { Role, StaffCategory, UnitKind } from '@konsilium/shared';

export const DEMO_PASSWORD = 'konsilium-demo';

export interface DemoUnit {
  code: string;
  kind: UnitKind;
  name: string;
  parent: string | null;
  timeZone?: string;
}

export const DEMO_UNITS: DemoUnit[] = [
  { code: 'gkb', kind: 'organization', name: 'ГБУЗ «Городская клиническая больница № 7»', parent: null, timeZone: 'Europe/Moscow' },
  { code: 'k1', kind: 'site', name: 'Корпус 1 (ул. Лесная, 12)', parent: 'gkb' },
  { code: 'k2', kind: 'site', name: 'Корпус 2 — филиал (Владивосток)', parent: 'gkb', timeZone: 'Asia/Vladivostok' },
  { code: 'card', kind: 'department', name: 'Кардиологическое отделение', parent: 'k1' },
  { code: 'card-ward', kind: 'unit', name: 'Кардиология, палаты 1–20', parent: 'card' },
  { code: 'card-icu', kind: 'unit', name: 'ПРИТ кардиологии', parent: 'card' },
  { code: 'surg', kind: 'department', name: 'Хирургическое отделение', parent: 'k1' },
  { code: 'surg-ward', kind: 'unit', name: 'Хирургия, палаты', parent: 'surg' },
  { code: 'surg-or', kind: 'unit', name: 'Операционный блок', parent: 'surg' },
  { code: 'icu', kind: 'department', name: 'Отделение анестезиологии и реанимации', parent: 'k1' },
  { code: 'icu-ward', kind: 'unit', name: 'Реанимация (ОРИТ)', parent: 'icu' },
  { code: 'er', kind: 'department', name: 'Приёмное отделение', parent: 'k1' },
  { code: 'er-main', kind: 'unit', name: 'Приёмный покой', parent: 'er' },
  { code: 'lab', kind: 'department', name: 'Клинико-диагностическая лаборатория', parent: 'k1' },
  { code: 'lab-main', kind: 'unit', name: 'КДЛ, экспресс-лаборатория', parent: 'lab' },
  { code: 'adm', kind: 'department', name: 'Администрация', parent: 'k1' },
  { code: 'adm-office', kind: 'unit', name: 'Организационно-методический отдел', parent: 'adm' },
  { code: 'v-ther', kind: 'department', name: 'Терапевтическое отделение (филиал)', parent: 'k2' },
  { code: 'v-ther-ward', kind: 'unit', name: 'Терапия, палаты', parent: 'v-ther' },
];

/** last, first, middle, login, position, specialty, category, unit codes, extra roles. */
type Row = [string, string, string, string, string, string | null, StaffCategory, string[], Role[]?];

const ROWS: Row[] = [
  ['Администраторов', 'Олег', 'Викторович', 'admin', 'Системный администратор', null, 'technician', ['adm-office'], ['admin']],
  ['Соколова', 'Марина', 'Андреевна', 'sokolova', 'Заместитель главного врача по медицинской части', 'Организация здравоохранения', 'physician', ['adm-office'], ['coordinator']],
  ['Белов', 'Игорь', 'Семёнович', 'belov', 'Главный врач', 'Организация здравоохранения', 'physician', ['adm-office'], ['coordinator']],
  ['Иванов', 'Сергей', 'Петрович', 'ivanov', 'Заведующий отделением', 'Кардиология', 'physician', ['card-ward', 'card-icu'], ['coordinator']],
  ['Иванова', 'Елена', 'Сергеевна', 'ivanova', 'Врач-кардиолог', 'Кардиология', 'physician', ['card-ward']],
  ['Петров', 'Иван', 'Сергеевич', 'petrov', 'Врач-кардиолог', 'Кардиология', 'physician', ['card-ward', 'card-icu']],
  ['Ёлкина', 'Анна', 'Викторовна', 'yolkina', 'Врач-кардиолог', 'Кардиология', 'physician', ['card-icu']],
  ['Фёдоров', 'Алексей', 'Игоревич', 'fedorov', 'Врач функциональной диагностики', 'Функциональная диагностика', 'physician', ['card-ward']],
  ['Кузнецов', 'Дмитрий', 'Олегович', 'kuznetsov', 'Ординатор', 'Кардиология', 'resident', ['card-ward']],
  ['Смирнова', 'Ольга', 'Николаевна', 'smirnova', 'Старшая медицинская сестра', 'Сестринское дело', 'nurse', ['card-ward', 'card-icu'], ['coordinator']],
  ['Попова', 'Татьяна', 'Ивановна', 'popova', 'Медицинская сестра палатная', 'Сестринское дело', 'nurse', ['card-ward']],
  ['Васильева', 'Наталья', 'Петровна', 'vasilyeva', 'Медицинская сестра палатная', 'Сестринское дело', 'nurse', ['card-icu']],
  ['Морозов', 'Андрей', 'Викторович', 'morozov', 'Заведующий отделением', 'Хирургия', 'physician', ['surg-ward', 'surg-or'], ['coordinator']],
  ['Волков', 'Павел', 'Андреевич', 'volkov', 'Врач-хирург', 'Хирургия', 'physician', ['surg-ward', 'surg-or']],
  ['Лебедев', 'Михаил', 'Юрьевич', 'lebedev', 'Врач-хирург', 'Хирургия', 'physician', ['surg-ward', 'surg-or']],
  ['Новикова', 'Ирина', 'Александровна', 'novikova', 'Врач-хирург', 'Хирургия', 'physician', ['surg-or']],
  ['Козлов', 'Артём', 'Денисович', 'kozlov', 'Ординатор', 'Хирургия', 'resident', ['surg-ward']],
  ['Степанова', 'Светлана', 'Валерьевна', 'stepanova', 'Операционная медицинская сестра', 'Операционное дело', 'nurse', ['surg-or']],
  ['Павлова', 'Юлия', 'Романовна', 'pavlova', 'Медицинская сестра перевязочной', 'Сестринское дело', 'nurse', ['surg-ward']],
  ['Семенов', 'Николай', 'Аркадьевич', 'semenov', 'Старший медицинский брат', 'Сестринское дело', 'nurse', ['surg-ward'], ['coordinator']],
  ['Егоров', 'Виктор', 'Павлович', 'egorov', 'Заведующий отделением', 'Анестезиология-реаниматология', 'physician', ['icu-ward'], ['coordinator']],
  ['Орлова', 'Дарья', 'Максимовна', 'orlova', 'Врач-анестезиолог-реаниматолог', 'Анестезиология-реаниматология', 'physician', ['icu-ward', 'surg-or']],
  ['Никитин', 'Роман', 'Евгеньевич', 'nikitin', 'Врач-анестезиолог-реаниматолог', 'Анестезиология-реаниматология', 'physician', ['icu-ward', 'surg-or']],
  ['Захаров', 'Глеб', 'Сергеевич', 'zakharov', 'Врач-анестезиолог-реаниматолог', 'Анестезиология-реаниматология', 'physician', ['icu-ward']],
  ['Зайцева', 'Вероника', 'Олеговна', 'zaitseva', 'Медицинская сестра-анестезист', 'Анестезиология и реаниматология', 'nurse', ['icu-ward']],
  ['Соловьёва', 'Людмила', 'Геннадьевна', 'solovyova', 'Медицинская сестра-анестезист', 'Анестезиология и реаниматология', 'nurse', ['icu-ward']],
  ['Борисов', 'Константин', 'Львович', 'borisov', 'Ординатор', 'Анестезиология-реаниматология', 'resident', ['icu-ward']],
  ['Яковлев', 'Денис', 'Анатольевич', 'yakovlev', 'Заведующий отделением', 'Скорая медицинская помощь', 'physician', ['er-main'], ['coordinator']],
  ['Григорьева', 'Алла', 'Борисовна', 'grigoryeva', 'Врач приёмного отделения', 'Терапия', 'physician', ['er-main']],
  ['Романов', 'Евгений', 'Владимирович', 'romanov', 'Врач-травматолог-ортопед', 'Травматология и ортопедия', 'physician', ['er-main']],
  ['Воробьёва', 'Кристина', 'Игоревна', 'vorobyova', 'Медицинская сестра приёмного отделения', 'Сестринское дело', 'nurse', ['er-main']],
  ['Сергеева', 'Галина', 'Фёдоровна', 'sergeeva', 'Медицинский регистратор', null, 'registrar', ['er-main']],
  ['Кириллова', 'Оксана', 'Валентиновна', 'kirillova', 'Медицинский регистратор', null, 'registrar', ['er-main']],
  ['Андреев', 'Станислав', 'Маратович', 'andreev', 'Заведующий лабораторией', 'Клиническая лабораторная диагностика', 'physician', ['lab-main'], ['coordinator']],
  ['Макарова', 'Любовь', 'Степановна', 'makarova', 'Врач клинической лабораторной диагностики', 'Клиническая лабораторная диагностика', 'physician', ['lab-main']],
  ['Тихонов', 'Валерий', 'Ильич', 'tikhonov', 'Медицинский лабораторный техник', 'Лабораторная диагностика', 'technician', ['lab-main']],
  ['Ковалёва', 'Зоя', 'Михайловна', 'kovalyova', 'Фельдшер-лаборант', 'Лабораторная диагностика', 'technician', ['lab-main']],
  ['Гусев', 'Тимур', 'Рашидович', 'gusev', 'Врач-рентгенолог', 'Рентгенология', 'physician', ['er-main']],
  ['Абрамова', 'Евгения', 'Львовна', 'abramova', 'Клинический фармаколог', 'Клиническая фармакология', 'physician', ['adm-office']],
  ['Мельникова', 'Раиса', 'Тимофеевна', 'melnikova', 'Специалист по кадрам', null, 'administrator', ['adm-office'], ['coordinator']],
  ['Дмитриев', 'Юрий', 'Константинович', 'dmitriev', 'Эпидемиолог', 'Эпидемиология', 'physician', ['adm-office']],
  ['Ким', 'Александр', 'Вячеславович', 'kim', 'Заведующий отделением', 'Терапия', 'physician', ['v-ther-ward'], ['coordinator']],
  ['Тен', 'Виктория', 'Эдуардовна', 'ten', 'Врач-терапевт', 'Терапия', 'physician', ['v-ther-ward']],
  ['Ли', 'Максим', 'Андреевич', 'li', 'Врач-кардиолог (совместитель)', 'Кардиология', 'physician', ['v-ther-ward', 'card-ward']],
  ['Шевченко', 'Оксана', 'Богдановна', 'shevchenko', 'Медицинская сестра палатная', 'Сестринское дело', 'nurse', ['v-ther-ward']],
  ['Пак', 'Инна', 'Сергеевна', 'pak', 'Медицинская сестра палатная', 'Сестринское дело', 'nurse', ['v-ther-ward']],
  ['Иванов', 'Иван', 'Иванович', 'ivanov.ii', 'Санитар', null, 'other', ['surg-ward']],
  ['Чернова', 'Вера', 'Аркадьевна', 'chernova', 'Социальный работник', null, 'other', ['adm-office']],
];

export interface DemoStaff {
  lastName: string;
  firstName: string;
  middleName: string;
  login: string;
  position: string;
  specialty: string | null;
  category: StaffCategory;
  units: string[];
  extraRoles: Role[];
  /** Practitioner id in the hospital's MIS. */
  misId: string;
  extension: string;
}

export const DEMO_STAFF: DemoStaff[] = ROWS.map(([lastName, firstName, middleName, login, position, specialty, category, units, extra], i) => ({
  lastName,
  firstName,
  middleName,
  login,
  position,
  specialty,
  category,
  units,
  extraRoles: extra ?? [],
  misId: `PR-${String(1001 + i)}`,
  extension: String(2100 + i),
}));
