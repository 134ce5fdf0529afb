module github.com/qubit-experiences/qubit-experiences/bindings/go

go 1.24
