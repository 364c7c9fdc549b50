DROP TABLE removed_pages;
