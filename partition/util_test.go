package partition

import (
	"reflect"

	"go.yaml.in/yaml/v3"
)

func mustYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func equalConfigs(a, b any) bool { return reflect.DeepEqual(a, b) }
