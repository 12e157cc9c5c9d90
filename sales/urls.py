from django.urls import path

from .views import actions, arbitration, board, calendar, feeds, kit, today

app_name = "sales"

urlpatterns = [
    path("", board.index, name="index"),
    path("today/", today.today, name="today"),
    path("visit/<int:pk>/late/", today.running_late, name="running-late"),
    path("column/<str:column>/", board.column, name="board-column"),
    path("closed/", board.closed, name="closed"),
    path("outcomes/", board.outcomes, name="outcomes"),
    path("deal/<int:pk>/", board.deal, name="deal"),
    path("deal/<int:pk>/accept/", actions.accept, name="accept"),
    path("deal/<int:pk>/dispute/", actions.dispute, name="dispute"),
    path("deal/<int:pk>/schedule/", actions.schedule, name="schedule"),
    path("deal/<int:pk>/measurement/", kit.measurement, name="measurement"),
    path("deal/<int:pk>/measure/", actions.measure, name="measure"),
    path("photo/<int:pk>/", kit.photo, name="photo"),
    path("photo/<int:pk>/thumbnail/", kit.photo_thumbnail, name="photo-thumbnail"),
    path("deal/<int:pk>/win/", actions.win, name="win"),
    path("deal/<int:pk>/lose/", actions.lose, name="lose"),
    path("deal/<int:pk>/reassign/", actions.reassign, name="reassign"),
    path("deal/<int:pk>/correct/", actions.correct, name="correct"),
    path("deal/<int:pk>/reopen/", actions.reopen, name="reopen"),
    path("visit/<int:pk>/reschedule/", actions.reschedule, name="reschedule"),
    path("visit/<int:pk>/no-show/", actions.no_show, name="no-show"),
    path("arbitration/", arbitration.arbitration, name="arbitration"),
    path("arbitration/<int:pk>/uphold/", arbitration.uphold, name="uphold"),
    path("arbitration/<int:pk>/reject/", arbitration.reject, name="reject"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("slots/", calendar.slots, name="slots"),
    path("slots/book/", calendar.book, name="book"),
    path("slots/book-and-hand-off/", calendar.book_and_hand_off, name="book-hand-off"),
    path("calendar/feed/", feeds.feed_settings, name="calendar-feed"),
    path("calendar/feed/rotate/", feeds.feed_rotate, name="calendar-feed-rotate"),
    path("calendar/feed/<str:token>.ics", feeds.feed, name="calendar-feed-ics"),
]
