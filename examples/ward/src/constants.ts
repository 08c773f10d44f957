/** The ward all simulated patients and devices are on: the access-control scope of their alerts. */
export const WARD_ID = 'ward-7';
