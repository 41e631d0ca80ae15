-- fact_evidence: one row per state × year × assessment date × evidence group × raw row.
-- The coded rows behind each evidence group of state_year_facts, each with its own citation
-- and source URL, so every point can be traced to the exact line of data/raw it came from.
-- Inputs: calendar and the staged statute tables, as for state_year_facts.sql; the rules for
-- which rows stand behind a group mirror that file.
WITH
in_force AS (
    SELECT c.state, c.year, c.assessment_date, 'felony_classes' AS tbl, x.source_file, x.source_line,
           x.classification AS label, x.level AS detail, x.citation, x.source_url, x.source_kind, x.verified
    FROM calendar c JOIN staged_felony_classes x
      ON x.state = c.state AND x.effective_from <= c.as_of AND (x.effective_to IS NULL OR c.as_of < x.effective_to)
    UNION ALL
    SELECT c.state, c.year, c.assessment_date, 'sentencing_systems', x.source_file, x.source_line,
           x.system, NULL, x.citation, x.source_url, x.source_kind, x.verified
    FROM calendar c JOIN staged_sentencing_systems x
      ON x.state = c.state AND x.effective_from <= c.as_of AND (x.effective_to IS NULL OR c.as_of < x.effective_to)
    UNION ALL
    SELECT c.state, c.year, c.assessment_date, 'buyer_offenses', x.source_file, x.source_line,
           x.classification, NULL, x.citation, x.source_url, x.source_kind, x.verified
    FROM calendar c JOIN staged_buyer_offenses x
      ON x.state = c.state AND x.effective_from <= c.as_of AND (x.effective_to IS NULL OR c.as_of < x.effective_to)
    UNION ALL
    SELECT c.state, c.year, c.assessment_date, 'mistake_of_age', x.source_file, x.source_line,
           x.scope, NULL, x.citation, x.source_url, x.source_kind, x.verified
    FROM calendar c JOIN staged_mistake_of_age x
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
