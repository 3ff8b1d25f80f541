-- observations.history.list [oracle]
-- params: bank_id, observation_id
SELECT observation_history.id, observation_history.bank_id, observation_history.observation_id, observation_history.previous_text, observation_history.sources_added, observation_history.reason, observation_history.created_at 
FROM observation_history 
WHERE observation_history.bank_id = :bank_id AND observation_history.observation_id = :observation_id ORDER BY observation_history.created_at, observation_history.id
