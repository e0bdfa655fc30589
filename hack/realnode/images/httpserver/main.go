// httpserver answers every request with the pod's hostname, the client address and the path, one
// "key=value" per line, so a test can tell which pod answered and from where the request came.
//
//	httpserver [-listen :8080]        serve (SIGTERM stops it)
//	httpserver -tls [-listen :8443]   serve HTTPS with a self-signed certificate, asking for a client
//	                                  certificate (not checking it): the answer adds the client
//	                                  certificate's subject and the X-Remote-User and X-Remote-Group
//	                                  headers, which an aggregating API server's front proxy sets
//	httpserver -get URL [-timeout 5s] fetch URL once, print the body, exit 1 on any failure
//
// Client options: -retry D keeps trying (every second) until an answer of 200 or D has passed;
// -resolve prints "resolved=IP" for each address of the URL's host first (through /etc/hosts and
// /etc/resolv.conf, as any pod resolves); -token-file F sends "Authorization: Bearer <F's content>",
// -ca-file F trusts only that CA and -server-name N checks the server's certificate for N (a pod
// dialling an API server by IP). The client mode exists because Debian's busybox-static wget
// segfaults on this machine kind.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type client struct {
	timeout    time.Duration
	retry      time.Duration
	resolve    bool
	tokenFile  string
	caFile     string
	serverName string
}

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	serveTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate, asking for a client certificate")
	get := flag.String("get", "", "fetch this URL, print the body and exit")
	var c client
	flag.DurationVar(&c.timeout, "timeout", 5*time.Second, "timeout of one -get attempt")
	flag.DurationVar(&c.retry, "retry", 0, "with -get: keep trying until a 200 answer or this much time has passed")
	flag.BoolVar(&c.resolve, "resolve", false, "with -get: print resolved=IP for each address of the URL's host")
	flag.StringVar(&c.tokenFile, "token-file", "", "with -get: send this file's content as a bearer token")
	flag.StringVar(&c.caFile, "ca-file", "", "with -get: trust only this CA (PEM)")
	flag.StringVar(&c.serverName, "server-name", "", "with -get: the name the server's certificate must hold")
	flag.Parse()
	if *get != "" {
		os.Exit(c.run(*get))
	}
	hostname, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hostname=%s\nclient=%s\npath=%s\n", hostname, r.RemoteAddr, r.URL.Path)
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			fmt.Fprintf(w, "client-cert=%s\n", r.TLS.PeerCertificates[0].Subject.CommonName)
		}
		for _, h := range []string{"X-Remote-User", "X-Remote-Group"} {
			if v := r.Header.Values(h); len(v) > 0 {
				fmt.Fprintf(w, "%s=%s\n", strings.ToLower(h), strings.Join(v, ","))
			}
		}
	})
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		<-stop
		os.Exit(0)
	}()
	log.Printf("listening on %s as %s", *listen, hostname)
	if !*serveTLS {
		log.Fatal(http.ListenAndServe(*listen, nil))
	}
	cert, err := selfSignedCertificate(hostname)
	if err != nil {
		log.Fatal(err)
	}
	server := &http.Server{Addr: *listen, TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
	}}
	log.Fatal(server.ListenAndServeTLS("", ""))
}

// selfSignedCertificate makes a key and a certificate for it, signed by itself, for a day.
func selfSignedCertificate(name string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func (c client) run(target string) int {
	deadline := time.Now().Add(c.retry)
	for {
		code := c.fetch(target)
		if code == 0 || time.Now().After(deadline) {
			return code
		}
		time.Sleep(time.Second)
	}
}

func (c client) fetch(target string) int {
	u, err := url.Parse(target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	if c.resolve {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		addrs, err := net.DefaultResolver.LookupHost(ctx, u.Hostname())
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "error: resolving:", err)
			return 1
		}
		fmt.Printf("resolved=%s\n", strings.Join(addrs, ","))
	}
	tlsConfig := &tls.Config{ServerName: c.serverName}
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			return 1
		}
		tlsConfig.RootCAs = x509.NewCertPool()
		if !tlsConfig.RootCAs.AppendCertsFromPEM(pem) {
			fmt.Fprintln(os.Stderr, "error: no certificate in", c.caFile)
			return 1
		}
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	if c.tokenFile != "" {
		token, err := os.ReadFile(c.tokenFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			return 1
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	}
	client := &http.Client{Timeout: c.timeout, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer resp.Body.Close()
	fmt.Printf("status=%d\n", resp.StatusCode)
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		fmt.Fprintln(os.Stderr, "error: reading body:", err)
		return 1
	}
	fmt.Println()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "error: status", resp.Status)
		return 1
	}
	return 0
}
