module kafka-platform.local/images/pause

go 1.22
