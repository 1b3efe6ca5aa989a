package supervisor

import "go.uber.org/zap"

// EmitRoutedLogLine is EmitLogLine with a route: the lines route sends past
// l's level or sampling are written to l's core directly, as a supervised
// child's are with Config.LogRoute.
func EmitRoutedLogLine(l *zap.Logger, raw []byte, route func(target string) LogRoute) {
	c := &childLog{log: l, route: route}
	if !c.emitJSON(raw) {
		l.Info(string(raw))
	}
}
