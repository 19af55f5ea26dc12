module kaos-stdio-adapter

go 1.26
