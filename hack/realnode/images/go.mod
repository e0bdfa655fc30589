module vsyncer.local/realnode-images

go 1.26
