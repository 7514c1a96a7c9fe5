module example.com/tool

go 1.20

require golang.org/x/text v0.3.5
