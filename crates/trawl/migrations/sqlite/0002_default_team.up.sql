-- A fresh instance has a team named `default`.
INSERT INTO teams (id, name) VALUES ('00000000-0000-7000-8000-000000000001', 'default');
