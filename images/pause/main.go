// Command pause is the pod sandbox process of the kafka-platform local images.
//
// It runs as PID 1 of a pod's sandbox: it does nothing but wait. SIGTERM or
// SIGINT makes it exit 0; SIGCHLD makes it reap every exited child, so that
// processes orphaned inside the sandbox's PID namespace do not linger as
// zombies. It uses the Go standard library only and is built static
// (CGO_ENABLED=0) by images/build.ts.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const version = "1.0"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println("pause (kafka-platform)", version)
		return
	}

	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)

	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: warning: not PID 1; only its own children will be reaped")
	}

	// Children may have exited before the handler was installed.
	reapAll()

	for sig := range signals {
		switch sig {
		case syscall.SIGCHLD:
			reapAll()
		default:
			fmt.Fprintf(os.Stderr, "pause: %v received, exiting\n", sig)
			os.Exit(0)
		}
	}
}

// reapAll collects every child that has already exited, without blocking.
// Several SIGCHLDs may be merged into one, so it loops until none is left.
func reapAll() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
