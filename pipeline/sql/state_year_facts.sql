-- state_year_facts: one row per state × year × assessment date.
-- The law in force on each assessment date (effective_from <= as_of < effective_to), with
-- felony classes resolved to prison terms and fines, and the citations behind each fact.
-- Inputs: calendar(state, year, assessment_date, as_of), staged_felony_classes,
-- staged_sentencing_systems, staged_buyer_offenses, staged_mistake_of_age.
-- Life imprisonment is +infinity years. The law is resolved once per state and law_date (the
-- last day on or before the assessment date on which a coded version starts or ends).
WITH
changes AS (
    -- every day on which some coded version of a state's law starts or ends
    SELECT state, effective_from AS day FROM staged_felony_classes
    UNION SELECT state, effective_to FROM staged_felony_classes WHERE effective_to IS NOT NULL
    UNION SELECT state, effective_from AS day FROM staged_sentencing_systems
    UNION SELECT state, effective_to FROM staged_sentencing_systems WHERE effective_to IS NOT NULL
    UNION SELECT state, effective_from AS day FROM staged_buyer_offenses
    UNION SELECT state, effective_to FROM staged_buyer_offenses WHERE effective_to IS NOT NULL
    UNION SELECT state, effective_from AS day FROM staged_mistake_of_age
    UNION SELECT state, effective_to FROM staged_mistake_of_age WHERE effective_to IS NOT NULL
),
dated AS (
    -- each assessment date with the last change on or before it (law_date): between two
    -- changes the law in force is the same, so it is resolved once per state and law_date
    SELECT c.*, COALESCE(ch.day, DATE '0001-01-01') AS law_date
    FROM calendar c
    ASOF LEFT JOIN changes ch ON ch.state = c.state AND c.as_of >= ch.day
),
points AS (SELECT DISTINCT state, law_date FROM dated),
classes AS (
    SELECT c.state, c.law_date, fc.classification, fc.level, fc.max_prison_years,
           fc.life_max, fc.max_fine_usd, fc.citation, fc.source_url, fc.verified
    FROM points c
    JOIN staged_felony_classes fc
      ON fc.state = c.state AND fc.effective_from <= c.law_date
     AND (fc.effective_to IS NULL OR c.law_date < fc.effective_to)
),
offenses AS (
    SELECT c.state, c.law_date,
           b.offense, b.offense_type, b.level, b.victim_age_from, b.victim_age_under,
           b.registration_required, b.citation, b.source_url, b.verified,
           k.citation AS class_citation, k.source_url AS class_source_url, k.verified AS class_verified,
           CASE
               WHEN b.max_prison_years IS NOT NULL OR b.life_max IS NOT NULL
                   THEN CASE WHEN b.life_max THEN 'infinity'::DOUBLE ELSE b.max_prison_years END
               ELSE CASE WHEN k.life_max THEN 'infinity'::DOUBLE ELSE k.max_prison_years END
           END AS prison_cap,
           COALESCE(b.max_fine_usd, k.max_fine_usd) AS fine_cap
    FROM points c
    JOIN staged_buyer_offenses b
      ON b.state = c.state AND b.effective_from <= c.law_date
     AND (b.effective_to IS NULL OR c.law_date < b.effective_to)
    LEFT JOIN classes k
      ON k.state = b.state AND k.law_date = c.law_date
     AND k.classification = b.classification
),
age_bounds AS (
    -- the ages where some offense's band starts or ends (bands clipped to minors, 0-17)
    SELECT DISTINCT state, law_date, unnest([victim_age_from, least(victim_age_under, 18)]) AS age
    FROM offenses
),
segments AS (
    -- consecutive bounds cut 0-17 into segments that every offense covers wholly or not at all
    SELECT * FROM (
        SELECT state, law_date, age AS lo,
               lead(age) OVER (PARTITION BY state, law_date ORDER BY age) AS hi
        FROM age_bounds
    ) WHERE hi IS NOT NULL
),
by_segment AS (
    -- for each segment of minors' ages: the strongest penalty among offenses covering it
    SELECT o.state, o.law_date, s.lo, s.hi - s.lo AS ages,
           bool_or(o.level = 'felony') AS felony,
           CASE WHEN count(o.prison_cap) = count(*) THEN max(o.prison_cap) END AS prison,
           CASE WHEN count(o.fine_cap) = count(*) THEN max(o.fine_cap) END AS fine
    FROM offenses o
    JOIN segments s
      ON s.state = o.state AND s.law_date = o.law_date
     AND o.victim_age_from <= s.lo AND o.victim_age_under >= s.hi
    GROUP BY ALL
),
buyer_by_age AS (
    SELECT state, law_date,
           sum(ages) AS ages_covered,
           bool_and(felony) AS all_felony,
           CASE WHEN count(prison) = count(*) THEN min(prison) END AS prison,
           CASE WHEN count(fine) = count(*) THEN min(fine) END AS fine
    FROM by_segment
    GROUP BY ALL
),
buyer AS (
    SELECT state, law_date,
           count(*) AS offense_count,
           CASE WHEN bool_or(registration_required) THEN TRUE
                WHEN bool_and(registration_required IS NOT NULL AND NOT registration_required) THEN FALSE
           END AS registration,
           CASE WHEN bool_or(offense_type = 'trafficking') THEN TRUE END AS trafficking,
           CASE WHEN bool_or(offense_type IN ('csec', 'solicitation_enhanced')) THEN TRUE
                WHEN bool_and(offense_type = 'solicitation_general') THEN FALSE
           END AS distinct_offense,
           array_to_string(list_sort(list_distinct(list(citation) || list(class_citation))), '; ') AS citation,
           array_to_string(list_sort(list_distinct(list(source_url) || list(class_source_url))), ' ') AS source_url,
           bool_and(verified AND COALESCE(class_verified, TRUE)) AS verified
    FROM offenses
    GROUP BY ALL
),
moa AS (
    SELECT c.state, c.law_date, m.scope, m.defense, m.citation, m.source_url, m.verified
    FROM points c
    JOIN staged_mistake_of_age m
      ON m.state = c.state AND m.effective_from <= c.law_date
     AND (m.effective_to IS NULL OR c.law_date < m.effective_to)
),
moa_wide AS (
    SELECT state, law_date,
           any_value(defense) FILTER (scope = 'buyer') AS buyer_defense,
           any_value(citation) FILTER (scope = 'buyer') AS buyer_citation,
           any_value(source_url) FILTER (scope = 'buyer') AS buyer_url,
           any_value(verified) FILTER (scope = 'buyer') AS buyer_verified,
           any_value(defense) FILTER (scope = 'trafficking') AS trafficking_defense,
           any_value(citation) FILTER (scope = 'trafficking') AS trafficking_citation,
           any_value(source_url) FILTER (scope = 'trafficking') AS trafficking_url,
           any_value(verified) FILTER (scope = 'trafficking') AS trafficking_verified,
           any_value(defense) FILTER (scope = 'all') AS all_defense,
           any_value(citation) FILTER (scope = 'all') AS all_citation,
           any_value(source_url) FILTER (scope = 'all') AS all_url,
           any_value(verified) FILTER (scope = 'all') AS all_verified
    FROM moa
    GROUP BY ALL
),
systems AS (
    SELECT c.state, c.law_date, s.system, s.citation, s.source_url, s.verified
    FROM points c
    JOIN staged_sentencing_systems s
      ON s.state = c.state AND s.effective_from <= c.law_date
     AND (s.effective_to IS NULL OR c.law_date < s.effective_to)
),
class_summary AS (
    SELECT state, law_date,
           count(*) FILTER (level = 'felony') AS class_count,
           string_agg(DISTINCT citation, '; ' ORDER BY citation) AS citation,
           string_agg(DISTINCT source_url, ' ' ORDER BY source_url) AS source_url,
           bool_and(verified) AS verified
    FROM classes
    GROUP BY ALL
)
SELECT
    c.state, c.year, c.assessment_date, c.as_of,
    CASE WHEN ba.ages_covered = 18 THEN ba.all_felony END AS buyer_is_felony,
    CASE WHEN ba.ages_covered = 18 THEN ba.prison END AS buyer_max_prison_years,
    CASE WHEN ba.ages_covered = 18 THEN ba.fine END AS buyer_max_fine_usd,
    b.registration AS buyer_registration_required,
    b.trafficking AS buyer_trafficking_law_applies,
    b.distinct_offense AS buyer_distinct_offense,
    COALESCE(b.offense_count, 0)::DOUBLE AS buyer_offense_count,
    COALESCE(mw.buyer_defense, mw.all_defense) AS mistake_of_age_buyer,
    COALESCE(mw.trafficking_defense, mw.all_defense) AS mistake_of_age_trafficking,
    CASE WHEN COALESCE(cs.class_count, 0) > 0 THEN 'classes' ELSE sy.system END AS penalty_system,
    COALESCE(cs.class_count > 0 OR sy.system = 'offense_specific', FALSE) AS felony_classes_coded,
    b.citation AS buyer_citation,
    b.source_url AS buyer_source_url,
    b.verified AS buyer_verified,
    CASE WHEN mw.buyer_defense IS NOT NULL THEN mw.buyer_citation ELSE mw.all_citation END AS mistake_of_age_buyer_citation,
    CASE WHEN mw.buyer_defense IS NOT NULL THEN mw.buyer_url ELSE mw.all_url END AS mistake_of_age_buyer_source_url,
    CASE WHEN mw.buyer_defense IS NOT NULL THEN mw.buyer_verified ELSE mw.all_verified END AS mistake_of_age_buyer_verified,
    CASE WHEN mw.trafficking_defense IS NOT NULL THEN mw.trafficking_citation ELSE mw.all_citation END AS mistake_of_age_trafficking_citation,
    CASE WHEN mw.trafficking_defense IS NOT NULL THEN mw.trafficking_url ELSE mw.all_url END AS mistake_of_age_trafficking_source_url,
    CASE WHEN mw.trafficking_defense IS NOT NULL THEN mw.trafficking_verified ELSE mw.all_verified END AS mistake_of_age_trafficking_verified,
    CASE WHEN cs.class_count > 0 THEN cs.citation ELSE sy.citation END AS felony_classes_citation,
    CASE WHEN cs.class_count > 0 THEN cs.source_url ELSE sy.source_url END AS felony_classes_source_url,
    CASE WHEN cs.class_count > 0 THEN cs.verified ELSE sy.verified END AS felony_classes_verified
FROM dated c
LEFT JOIN buyer_by_age ba USING (state, law_date)
LEFT JOIN buyer b USING (state, law_date)
LEFT JOIN moa_wide mw USING (state, law_date)
LEFT JOIN class_summary cs USING (state, law_date)
LEFT JOIN systems sy USING (state, law_date)
ORDER BY c.assessment_date, c.state, c.year
