/** A FHIR R4 Observation of potassium with its patient, order and ordering clinician (HOSP D1001) contained; `code` is its interpretation. */
export const criticalObservation = (id: string, code = 'HH') => ({
  resourceType: 'Observation',
  identifier: [{ system: 'urn:lis', value: id }],
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }] },
  subject: { reference: '#p' },
  contained: [
    {
      resourceType: 'Patient',
      id: 'p',
      identifier: [{ system: 'HOSP', value: 'F-1' }],
      name: [{ family: 'Фёдоров', given: ['Фёдор'] }],
    },
    { resourceType: 'ServiceRequest', id: 'sr', requester: { reference: '#dr' } },
    {
      resourceType: 'Practitioner',
      id: 'dr',
      identifier: [{ system: 'HOSP', value: 'D1001' }],
      name: [{ family: 'Смирнова', given: ['Анна'] }],
    },
  ],
  basedOn: [{ reference: '#sr' }],
  valueQuantity: { value: 7.2, unit: 'mmol/L' },
  referenceRange: [{ low: { value: 3.5 }, high: { value: 5.1 } }],
  interpretation: [
    {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code },
      ],
    },
  ],
});
