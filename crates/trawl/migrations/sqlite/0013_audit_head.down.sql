DROP TABLE audit_head;
