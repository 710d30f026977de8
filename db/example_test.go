package db_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/manouche/manouche"
	"github.com/manouche/manouche/db"
)

func ExampleParseURL() {
	d, err := db.ParseURL("postgres://app:s%40cret@db.internal:5432/shop?sslmode=require&conn_max_age=60&conn_health_checks=true")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Engine)
	fmt.Println(d.DSN)
	fmt.Println(d.ConnMaxAge, d.ConnHealthChecks, d.Options)
	dsn, _ := d.DriverDSN()
	fmt.Println(dsn)
	// Output:
	// postgres
	// host=db.internal port=5432 user=app password=s@cret dbname=shop
	// 1m0s true map[sslmode:require]
	// host=db.internal port=5432 user=app password=s@cret dbname=shop sslmode=require
}

func ExampleParseURL_sqlite() {
	for _, u := range []string{
		"sqlite:///var/app.db",
		"sqlite:////var/app.db",
		"sqlite://:memory:",
		"sqlite:///:memory:?name=test1&busy_timeout=1000",
	} {
		d, err := db.ParseURL(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		dsn, _ := d.DriverDSN()
		fmt.Printf("%s\n  DSN %s, in memory: %v\n  driver %s\n", u, d.DSN, d.InMemory(), dsn)
	}
	// Output:
	// sqlite:///var/app.db
	//   DSN var/app.db, in memory: false
	//   driver var/app.db?_foreign_keys=1
	// sqlite:////var/app.db
	//   DSN /var/app.db, in memory: false
	//   driver /var/app.db?_foreign_keys=1
	// sqlite://:memory:
	//   DSN file:memdb?mode=memory&cache=shared, in memory: true
	//   driver file:/memdb?vfs=memdb&_foreign_keys=1
	// sqlite:///:memory:?name=test1&busy_timeout=1000
	//   DSN file:test1?mode=memory&cache=shared, in memory: true
	//   driver file:/test1?vfs=memdb&_busy_timeout=1000&_foreign_keys=1
}

func ExampleDatabases_Validate() {
	for _, dbs := range []db.Databases{
		{"replica": {Engine: db.Postgres, DSN: "host=replica dbname=app"}},
		{"default": {DSN: "app.db"}},
		{"default": {Engine: "django.db.backends.sqlite3", DSN: "app.db"}},
		{"default": {Engine: db.SQLite, DSN: "app.db", ConnMaxAge: -5 * time.Second}},
		{"default": {Engine: db.Postgres, DSN: "dbname=app", ConnMaxAge: db.Forever, AtomicRequests: true}},
	} {
		err := dbs.Validate()
		var ic *manouche.ImproperlyConfigured
		fmt.Println(errors.As(err, &ic), err)
	}
	// Output:
	// true You must define a 'default' database.
	// true database 'default': settings.DATABASES is improperly configured. Please supply the ENGINE value. Check settings documentation for more details.
	// true database 'default': "django.db.backends.sqlite3" isn't an available database backend: set Engine to "sqlite" (db.SQLite), manouche's one name for it.
	// true database 'default': ConnMaxAge is negative (-5s): use 0 to close connections at the end of each request, a positive duration to keep them that long, or db.Forever to never close them for age.
	// false <nil>
}

func ExampleParseConnMaxAge() {
	for _, s := range []string{"0", "60", "None", "-1"} {
		age, err := db.ParseConnMaxAge(s)
		fmt.Println(age, age == db.Forever, err)
	}
	// Output:
	// 0s false <nil>
	// 1m0s false <nil>
	// -1ns true <nil>
	// 0s false invalid CONN_MAX_AGE "-1": use a whole number of seconds (0 closes connections at the end of each request) or "none" (never close them for age)
}
