"""Personal data as 152-ФЗ expects: consent on intake, retention, a person's export and erasure requests.

- `registry`: the apps built on the core (qualification, sales) register what they hold about a lead's
  person, so the core exports and anonymises it without importing them;
- `services`: `leads_anonymise` (the retention run), `personal_data_export`, `personal_data_erase`;
- `selectors`: which leads are due, what we hold about a phone;
- `views` / `urls`: the public policy page and the director's requests page.

docs/security.md, "Personal data (152-ФЗ)", says what is removed and what stays.
"""
