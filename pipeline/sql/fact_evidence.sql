-- fact_evidence: one row per state × year × assessment date × evidence group × raw row.
-- The coded rows behind each evidence group of state_year_facts, each with its own citation
-- and source URL, so every point can be traced to the exact line of data/raw it came from.
-- Inputs: calendar and the staged statute tables, as for state_year_facts.sql; the rules for
-- which rows stand behind a group mirror that file.
WITH
raw_rows AS (
    -- every statute row in one shape: label = its class, system or scope; detail = class level
    SELECT 'felony_classes' AS tbl, state, effective_from, effective_to, source_file, source_line,
           classification AS label, level AS detail, citation, source_url, source_kind, verified
    FROM staged_felony_classes
    UNION ALL
    SELECT 'sentencing_systems', state, effective_from, effective_to, source_file, source_line,
           system, NULL, citation, source_url, source_kind, verified
    FROM staged_sentencing_systems
    UNION ALL
    SELECT 'buyer_offenses', state, effective_from, effective_to, source_file, source_line,
           classification, NULL, citation, source_url, source_kind, verified
    FROM staged_buyer_offenses
    UNION ALL
    SELECT 'mistake_of_age', state, effective_from, effective_to, source_file, source_line,
           scope, NULL, citation, source_url, source_kind, verified
    FROM staged_mistake_of_age
),
in_force AS (
    SELECT c.state, c.year, c.assessment_date, x.tbl, x.source_file, x.source_line,
           x.label, x.detail, x.citation, x.source_url, x.source_kind, x.verified
    FROM calendar c JOIN raw_rows x
      ON x.state = c.state AND x.effective_from <= c.as_of AND (x.effective_to IS NULL OR c.as_of < x.effective_to)
),
per_state AS (
    SELECT state, year, assessment_date,
           count(*) FILTER (tbl = 'felony_classes' AND detail = 'felony') AS felony_classes,
           count(*) FILTER (tbl = 'mistake_of_age' AND label = 'buyer') AS moa_buyer,
           count(*) FILTER (tbl = 'mistake_of_age' AND label = 'trafficking') AS moa_trafficking
    FROM in_force GROUP BY ALL
),
groups AS (
    -- buyer: the offenses and the classes they resolve through
    SELECT 'buyer' AS evidence_group, i.* FROM in_force i WHERE tbl = 'buyer_offenses'
    UNION ALL
    SELECT DISTINCT 'buyer', k.* FROM in_force b
    JOIN in_force k ON k.tbl = 'felony_classes' AND k.state = b.state AND k.year = b.year
     AND k.assessment_date = b.assessment_date AND k.label = b.label
    WHERE b.tbl = 'buyer_offenses'
    UNION ALL
    -- mistake of age: the scope-specific provision, else the one covering all
    SELECT 'mistake_of_age_buyer', i.* FROM in_force i JOIN per_state p USING (state, year, assessment_date)
    WHERE i.tbl = 'mistake_of_age' AND (i.label = 'buyer' OR (i.label = 'all' AND p.moa_buyer = 0))
    UNION ALL
    SELECT 'mistake_of_age_trafficking', i.* FROM in_force i JOIN per_state p USING (state, year, assessment_date)
    WHERE i.tbl = 'mistake_of_age' AND (i.label = 'trafficking' OR (i.label = 'all' AND p.moa_trafficking = 0))
    UNION ALL
    -- felony classes: the class table, else the statement that there is none
    SELECT 'felony_classes', i.* FROM in_force i JOIN per_state p USING (state, year, assessment_date)
    WHERE (i.tbl = 'felony_classes' AND p.felony_classes > 0) OR (i.tbl = 'sentencing_systems' AND p.felony_classes = 0)
)
SELECT state, year::INTEGER AS year, assessment_date, evidence_group, tbl AS raw_table, source_file,
       source_line::INTEGER AS source_line, citation, source_url, source_kind, verified
FROM groups
ORDER BY state, year, assessment_date, evidence_group, source_file, source_line
