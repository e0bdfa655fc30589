// httpserver answers every request with the pod's hostname, the client address and the path, one
// "key=value" per line, so a test can tell which pod answered and from where the request came.
//
//	httpserver [-listen :8080]        serve (SIGTERM stops it)
//	httpserver -get URL [-timeout 5s] fetch URL once, print the body, exit 1 on any failure
//
// The client mode exists because Debian's busybox-static wget segfaults on this machine kind.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	get := flag.String("get", "", "fetch this URL, print the body and exit")
	timeout := flag.Duration("timeout", 5*time.Second, "timeout of -get")
	flag.Parse()
	if *get != "" {
		os.Exit(fetch(*get, *timeout))
	}
	hostname, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hostname=%s\nclient=%s\npath=%s\n", hostname, r.RemoteAddr, r.URL.Path)
	})
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		<-stop
		os.Exit(0)
	}()
	log.Printf("listening on %s as %s", *listen, hostname)
	log.Fatal(http.ListenAndServe(*listen, nil))
}

func fetch(url string, timeout time.Duration) int {
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		fmt.Fprintln(os.Stderr, "error: reading body:", err)
		return 1
	}
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "error: status", resp.Status)
		return 1
	}
	return 0
}
