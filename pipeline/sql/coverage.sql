-- coverage: one row per state × topic × year, on the primary assessment date.
-- verified = coded and every row behind it read in statute text; coded = from summaries or
-- secondary sources; not_coded = nothing in force.
WITH f AS (
    SELECT * FROM state_year_facts
    WHERE assessment_date = (SELECT min(assessment_date) FROM state_year_facts)
),
topics AS (
    SELECT state, year, 'felony_classes' AS topic,
           felony_classes_coded AS coded, felony_classes_verified AS verified FROM f
    UNION ALL
    SELECT state, year, 'buyer_offenses', buyer_offense_count > 0, buyer_verified FROM f
    UNION ALL
    SELECT state, year, 'mistake_of_age',
           mistake_of_age_buyer IS NOT NULL OR mistake_of_age_trafficking IS NOT NULL,
           COALESCE(mistake_of_age_buyer_verified, TRUE) AND COALESCE(mistake_of_age_trafficking_verified, TRUE)
    FROM f
)
SELECT state, topic, year::INTEGER AS year,
       CASE WHEN NOT COALESCE(coded, FALSE) THEN 'not_coded' WHEN verified THEN 'verified' ELSE 'coded' END AS status
FROM topics
ORDER BY state, topic, year
